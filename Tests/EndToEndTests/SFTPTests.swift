import Foundation
import Hashing
import Synchronization
import Testing

/// Real uploads through Debian's OpenSSH server (started by `Tests/SFTPHarness/sftp-harness.sh`
/// on 127.0.0.1, chrooted onto the test spool's inbox) while the daemon runs.
@Suite("SFTP uploads through a real OpenSSH server", .serialized)
struct SFTPTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SFTPHarness/sftp-harness.sh").path

    /// Starts the harness script; `onExit` is called (on another thread) when it ends.
    static func harness(_ arguments: [String], onExit: (@Sendable (Date) -> Void)? = nil) throws -> Process {
        let process = Process()
        if let onExit { process.terminationHandler = { _ in onExit(Date()) } }
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Claims file text whose records are all `width` bytes long (so a cut upload almost
    /// surely ends mid-record).
    static func wideClaims(rows: Int, seed: String, width: Int = 997) -> String {
        var text = ClaimsFile.header + "\n"
        for index in 1...rows {
            let row = "CLM\(seed)\(index),1,acme,M\(index),Doe,Jo,1950-01-02,MCR-JA,Medicare,1234567893,E0601,NU,G47.33,2026-03-01,2026-03-31,1,250.00,"
            text += row + String(repeating: "x", count: max(0, width - row.utf8.count - 1)) + "\n"
        }
        return text
    }

    @Test("20 slow uploads with pauses, 5 with put -p, 5 renames, 2 aborted: nothing claimed early, each completed upload processed once, aborted ones rejected as incomplete")
    func uploads() throws {
        let base = "/var/lib/intake-sftp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let harness = try Harness(base: base, settleSeconds: 0.3, workers: 2)
        let inbox = harness.spool + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox + "/acme", withIntermediateDirectories: true)
        let state = base + "/sshd"
        let start = try Self.harness(["start", state, inbox])
        start.waitUntilExit()
        #expect(start.terminationStatus == 0, "sshd started (needs root and openssh-server)")
        defer { try? Self.harness(["stop", state]).waitUntilExit() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }

        let sources = base + "/sources"
        try FileManager.default.createDirectory(atPath: sources, withIntermediateDirectories: true)
        struct Upload { let name: String; let rows: Int; let process: Process }
        var uploads: [Upload] = []
        let finished = FinishTimes()
        func source(_ name: String, _ text: String) throws -> String {
            let path = "\(sources)/\(name)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        for index in 0..<20 {
            let path = try source("slow\(index).csv", Self.wideClaims(rows: 300, seed: "S\(index)-"))
            uploads.append(Upload(name: "slow\(index).csv", rows: 300, process: try Self.harness(["put", state, path, "/acme/slow\(index).csv", "400"], onExit: finished.recorder("slow\(index).csv"))))
        }
        for index in 0..<5 {
            let path = try source("kept\(index).csv", Self.wideClaims(rows: 20, seed: "P\(index)-"))
            // An mtime years in the past, as `put -p` then sets on the uploaded file.
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_500_000_000)], ofItemAtPath: path)
            uploads.append(Upload(name: "kept\(index).csv", rows: 20, process: try Self.harness(["put-p", state, path, "/acme/kept\(index).csv"], onExit: finished.recorder("kept\(index).csv"))))
        }
        for index in 0..<5 {
            let path = try source("renamed\(index).csv", Self.wideClaims(rows: 40, seed: "R\(index)-"))
            uploads.append(Upload(name: "renamed\(index).csv", rows: 40, process: try Self.harness(["put-rename", state, path, "/acme/renamed\(index).csv"], onExit: finished.recorder("renamed\(index).csv"))))
        }
        var aborted: [Process] = []
        for index in 0..<2 {
            let path = try source("aborted\(index).csv", Self.wideClaims(rows: 4000, seed: "A\(index)-"))
            // The client is killed after 2.5 s of a 20 s upload: the server closes a short file.
            aborted.append(try Self.harness(["put-abort", state, path, "/acme/aborted\(index).csv", "160", "2.5"]))
        }
        for process in aborted { process.waitUntilExit() }
        for upload in uploads {
            upload.process.waitUntilExit()
            #expect(upload.process.terminationStatus == 0, "\(upload.name) uploaded")
        }
        let names = uploads.map(\.name) + ["aborted0.csv", "aborted1.csv"]
        #expect(harness.wait(timeout: 120) { names.allSatisfy { harness.exists("outbox/acme/\($0).result.json") } })

        let db = try harness.database()
        for upload in uploads {
            let source = try Data(contentsOf: URL(fileURLWithPath: "\(sources)/\(upload.name)"))
            let rows = try db.fetchAll("SELECT * FROM files WHERE name = ?", upload.name)
            #expect(rows.count == 1, "\(upload.name) recorded once")
            let file = try #require(rows.first)
            // Claimed whole: the size seen at the claim and the hash are the complete file's.
            #expect(file.int("size") == source.count, "\(upload.name) claimed at \(file.int("size") ?? 0) of \(source.count) bytes")
            #expect(file.string("sha256") == (try SHA256Hasher.hexDigest(of: [UInt8](source))))
            let done = finished.time(of: upload.name)
            #expect((file.double("claimed_at") ?? 0) >= (done?.timeIntervalSince1970 ?? .infinity) - 0.1, "\(upload.name) claimed before its upload finished")
            let manifest = try harness.manifest(partner: "acme", name: upload.name)
            #expect(manifest["state"] as? String == "succeeded", "\(upload.name)")
            #expect((manifest["counts"] as? [String: Int])?["rows_loaded"] == upload.rows, "\(upload.name)")
        }
        for name in ["aborted0.csv", "aborted1.csv"] {
            let manifest = try harness.manifest(partner: "acme", name: name)
            #expect(manifest["state"] as? String == "rejected", "\(name)")
            #expect((manifest["errors_by_code"] as? [String: Int])?["file.incomplete_upload"] == 1, "\(name): \(manifest["errors_by_code"] ?? "")")
        }
        #expect(!harness.exists("inbox/acme/renamed0.csv.part"))
        #expect(try harness.count("SELECT count(*) FROM files WHERE name LIKE '%.part'") == 0)
    }
}

/// When each upload's client exited, recorded from `Process.terminationHandler`.
final class FinishTimes: Sendable {
    private let times = Mutex<[String: Date]>([:])
    func recorder(_ name: String) -> @Sendable (Date) -> Void {
        { date in self.times.withLock { $0[name] = date } }
    }
    func time(of name: String) -> Date? { times.withLock { $0[name] } }
}
