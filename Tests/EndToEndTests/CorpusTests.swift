import Foundation
import Testing

/// The quirk-and-attack corpus in `fixtures/corpus/` (made by `make_corpus.py`, each file with
/// its expected outcome in `expected.json`), dropped into one inbox and processed by the daemon.
@Suite("fixture corpus: one file per quirk and per attack")
struct CorpusTests {
    static let corpus = FixtureTests.fixtures.appendingPathComponent("corpus")

    struct Expected: Decodable {
        let file: String
        let state: String
        let code: String?
        let rows_loaded: Int?
        let xsd_valid: Bool?
    }

    static func expectations() throws -> [Expected] {
        try JSONDecoder().decode([Expected].self, from: Data(contentsOf: corpus.appendingPathComponent("expected.json")))
    }

    @Test("every corpus file ends as expected, with its error code, and the daemon keeps going")
    func corpusOutcomes() throws {
        let expectations = try Self.expectations()
        #expect(expectations.count >= 50)
        let harness = try Harness()
        defer { harness.cleanUp() }
        try FileManager.default.removeItem(atPath: harness.spool + "/intake.json5")
        try FileManager.default.copyItem(at: Self.corpus.appendingPathComponent("intake.json5"), to: URL(fileURLWithPath: harness.spool + "/intake.json5"))
        let inbox = harness.spool + "/inbox/corpus"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        for entry in expectations {
            try FileManager.default.copyItem(at: Self.corpus.appendingPathComponent("files/\(entry.file)"), to: URL(fileURLWithPath: "\(inbox)/\(entry.file)"))
        }
        #expect(try harness.run(["run", "--once"], timeout: 300) == 0)
        for entry in expectations {
            let manifest = try harness.manifest(partner: "corpus", name: entry.file)
            #expect(manifest["state"] as? String == entry.state, "\(entry.file)")
            let codes = manifest["errors_by_code"] as? [String: Int] ?? [:]
            if let code = entry.code {
                #expect(codes[code] != nil, "\(entry.file): expected \(code), got \(codes)")
            } else {
                #expect(codes.isEmpty, "\(entry.file): expected no errors, got \(codes)")
            }
            if let rows = entry.rows_loaded {
                #expect((manifest["counts"] as? [String: Int])?["rows_loaded"] == rows, "\(entry.file)")
            }
            let kept = entry.state == "rejected" ? "rejected/corpus/\(entry.file)" : nil
            if let kept { #expect(harness.exists(kept), "\(entry.file) kept in rejected/") }
        }
        // Nothing was left behind or written where it should not be.
        #expect(harness.workFiles().isEmpty)
        let everything = FileManager.default.enumerator(atPath: harness.root)?.allObjects as? [String] ?? []
        #expect(!everything.contains { $0.hasSuffix("evil.csv") && !$0.hasPrefix("spool/outbox/") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.spool).sorted() == [".intake.lock", "done", "inbox", "intake.json5", "intake.sqlite", "intake.sqlite-shm", "intake.sqlite-wal", "outbox", "rejected", "schemas", "work"].filter { FileManager.default.fileExists(atPath: harness.spool + "/" + $0) })
    }

    @Test("xmllint --schema and Intake agree on every XML fixture")
    func xmllintAgrees() throws {
        let schema = FixtureTests.fixtures.deletingLastPathComponent().appendingPathComponent("Sources/IntakeCore/Schemas/claims-v1.xsd").path
        let xmlFiles = try Self.expectations().filter { $0.file.hasSuffix(".xml") }
        #expect(xmlFiles.count >= 8)
        for entry in xmlFiles {
            let path = Self.corpus.appendingPathComponent("files/\(entry.file)").path
            let xmllint = Process()
            xmllint.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
            xmllint.arguments = ["--noout", "--schema", schema, path]
            xmllint.standardOutput = FileHandle.nullDevice
            xmllint.standardError = FileHandle.nullDevice
            try xmllint.run()
            xmllint.waitUntilExit()
            let xmllintValid = xmllint.terminationStatus == 0
            let intakeValid = try XMLValidity.isValid(path: path, schema: schema)
            #expect(xmllintValid == intakeValid, "\(entry.file): xmllint says \(xmllintValid), Intake says \(intakeValid)")
            if let recorded = entry.xsd_valid { #expect(recorded == xmllintValid, "\(entry.file)") }
        }
    }
}
