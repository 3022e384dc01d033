import Foundation
import Testing

/// The fixture files are checked against their expected outcomes, written independently by the
/// generator (`fixtures/regenerate.sh`): line, record, byte offset, field and code of each bad row.
@Suite("fixtures")
struct FixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures")

    struct Expected: Decodable {
        struct Bad: Decodable, Equatable { let line: Int; let record: Int; let code: String; let column: String; let value: String; let offset: Int }
        let rows: Int
        let bad_rows: [Bad]
        let good_rows: Int
    }

    static let cases: [(file: String, partner: String, expected: String)] = [
        ("claims/claims-50-with-3-bad.csv", "acme", "claims/claims-50-with-3-bad.expected.json"),
        ("claims/claims-10-good.csv", "acme", "claims/claims-10-good.expected.json"),
        ("inbox/acme-medical/claims-2026-11-02.csv", "acme-medical", "expected/acme-medical/claims-2026-11-02.expected.json"),
        ("inbox/acme-medical/claims-2026-11-03-bad.csv", "acme-medical", "expected/acme-medical/claims-2026-11-03-bad.expected.json"),
        ("inbox/northwind-respiratory/claims-week48.csv", "northwind-respiratory", "expected/northwind-respiratory/claims-week48.expected.json"),
    ]

    @Test("each fixture gets exactly its expected errors, under abort and under skip_rows", arguments: cases.map(\.file))
    func fixture(file: String) throws {
        let entry = try #require(Self.cases.first { $0.file == file })
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent(entry.expected)))
        let name = (file as NSString).lastPathComponent
        let source = try Data(contentsOf: Self.fixtures.appendingPathComponent(file))
        for policy in ["abort", "skip_rows"] {
            let harness = try Harness(extraConfig: "partners: { \"\(entry.partner)\": { feeds: [ { name: \"claims\", pattern: \"*.csv\", error_policy: \"\(policy)\" } ] } },")
            defer { harness.cleanUp() }
            try FileManager.default.createDirectory(atPath: harness.spool + "/inbox/" + entry.partner, withIntermediateDirectories: true)
            try source.write(to: URL(fileURLWithPath: harness.spool + "/inbox/\(entry.partner)/\(name)"))
            #expect(try harness.run(["run", "--once"]) == 0)
            let manifest = try harness.manifest(partner: entry.partner, name: name)
            let counts = manifest["counts"] as? [String: Int]
            #expect(counts?["rows_read"] == expected.rows)
            let loaded = expected.bad_rows.isEmpty || policy == "skip_rows" ? expected.good_rows : 0
            #expect(counts?["rows_loaded"] == loaded, "\(policy)")
            #expect(try harness.count("SELECT count(*) FROM service_lines") == loaded)
            let errors = (manifest["errors"] as? [[String: Any]] ?? []).map {
                Expected.Bad(line: $0["line"] as? Int ?? 0, record: $0["record"] as? Int ?? 0, code: $0["code"] as? String ?? "",
                             column: $0["field"] as? String ?? "", value: $0["value"] as? String ?? "", offset: $0["byte_offset"] as? Int ?? 0)
            }
            #expect(errors == expected.bad_rows, "\(policy)")
        }
    }
}
