import Foundation
import Testing

@Suite("reliability: open files, crash loops, full disks, soak", .serialized)
struct ReliabilityTests {
    @Test("a file still open for writing is not claimed, however long its size has paused")
    func openForWriting() throws {
        let harness = try Harness(settleSeconds: 0.3)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let folder = harness.spool + "/inbox/acme"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/held.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(ClaimsFile.make(rows: 3, partner: "acme").utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        // Quiet for ten settle windows, but still open for writing.
        Thread.sleep(forTimeInterval: 3)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try harness.count("SELECT count(*) FROM files") == 0)
        handle.seekToEndOfFile()
        handle.write(Data((ClaimsFile.row(4, partner: "acme") + "\n").utf8))
        try handle.close()
        #expect(harness.wait(timeout: 30) { harness.exists("outbox/acme/held.csv.result.json") })
        #expect((try harness.manifest(partner: "acme", name: "held.csv")["counts"] as? [String: Int])?["rows_loaded"] == 4)
    }

    @Test("a truncated last record (no line end) is reported as a likely incomplete upload")
    func incompleteUpload() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let full = ClaimsFile.make(rows: 5, partner: "acme")
        try harness.drop(String(full.dropLast(40)), partner: "acme", name: "cut.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let manifest = try harness.manifest(partner: "acme", name: "cut.csv")
        #expect(manifest["state"] as? String == "rejected")
        #expect((manifest["errors_by_code"] as? [String: Int])?["file.incomplete_upload"] == 1)
    }

    @Test("crash loop: 200 files, 30 SIGKILLs at random moments: nothing lost, nothing twice, integrity ok")
    func crashLoop() throws {
        let harness = try Harness(settleSeconds: 0.1)
        defer { harness.cleanUp() }
        var expectedRows = 0
        var generator = SystemRandomNumberGenerator()
        for index in 0..<200 {
            let rows = index % 10 == 0 ? 3000 : Int.random(in: 5...60, using: &generator)
            expectedRows += rows
            try harness.drop(ClaimsFile.make(rows: rows, partner: "p\(index % 4)", seed: "K\(index)-"), partner: "p\(index % 4)", name: "f\(index).csv")
        }
        var kills = 0
        while kills < 30 {
            let daemon = try harness.start(["run"])
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.6, using: &generator))
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            kills += 1
        }
        #expect(try harness.run(["run", "--once"], timeout: 300) == 0)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == expectedRows)
        #expect(try harness.count("SELECT count(*) FROM files WHERE parent_file_id IS NULL") == 200)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state <> 'succeeded'") == 0)
        #expect(harness.workFiles().isEmpty)
        for index in 0..<200 {
            let manifest = try harness.manifest(partner: "p\(index % 4)", name: "f\(index).csv")
            #expect(manifest["state"] as? String == "succeeded", "f\(index).csv")
        }
        #expect(try harness.database().fetchOne("PRAGMA integrity_check")?.string("integrity_check") == "ok")
        #expect(try harness.count("SELECT count(*) FROM job_history WHERE reason LIKE 'recovered at start-up%'") > 0)
    }

    @Test("a full disk: the job waits and retries, the original is kept, no half-written outbox file, and it resumes when space returns")
    func fullDisk() throws {
        let mountPoint = "/var/lib/intake-fulldisk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        #expect(try shell("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint]) == 0, "mounting a small tmpfs needs root")
        defer { _ = try? shell("/bin/umount", ["-l", mountPoint]) }
        let harness = try Harness(base: mountPoint, extraConfig: """
            min_free_disk_bytes: 0, retry_base_seconds: 0.2, max_attempts: 100,
            partners: { acme: { feeds: [ { name: "claims", pattern: "*.csv", done_marker: ".ready" } ] } },
            """)
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        #expect(harness.wait(timeout: 30) { ((try? harness.count("SELECT count(*) FROM workers")) ?? 0) > 0 })
        // The file arrives, then the disk fills up to the last 128 KiB, then the file is released.
        try harness.drop(ClaimsFile.make(rows: 3000, partner: "acme"), partner: "acme", name: "big.csv")
        let free = (try FileManager.default.attributesOfFileSystem(forPath: mountPoint)[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
        let filler = mountPoint + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(count: Int(max(0, free - 128 * 1024))))
        try harness.drop("", partner: "acme", name: "big.csv.ready")
        // While the disk is full the job cannot finish, and nothing is lost or half written.
        Thread.sleep(forTimeInterval: 5)
        #expect(!harness.exists("outbox/acme/big.csv.result.json"))
        #expect(((try? harness.count("SELECT count(*) FROM jobs WHERE state NOT IN ('queued', 'running')")) ?? 0) == 0)
        #expect(harness.exists("inbox/acme/big.csv") || !harness.workFiles().isEmpty, "the original is kept while the disk is full")
        let outbox = harness.spool + "/outbox/acme"
        let visible = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { !$0.hasPrefix(".") }
        for name in visible where name.hasSuffix(".json") {
            let data = FileManager.default.contents(atPath: "\(outbox)/\(name)") ?? Data()
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is complete")
        }
        try FileManager.default.removeItem(atPath: filler)
        #expect(harness.wait(timeout: 60) { harness.exists("outbox/acme/big.csv.result.json") })
        #expect(try harness.manifest(partner: "acme", name: "big.csv")["state"] as? String == "succeeded")
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 3000)
        #expect(try harness.count("SELECT count(*) FROM job_history WHERE reason LIKE 'attempt % failed%'") >= 1, "the failed attempt is in the history")
        #expect(try harness.count("SELECT attempts FROM jobs") >= 2)
    }

    @Test("soak: many partners dropping good, bad and hostile files; memory flat, no descriptor leak, every file answered")
    func soak() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["INTAKE_SOAK_SECONDS"] ?? "20") ?? 20
        let harness = try Harness(settleSeconds: 0.1, workers: 4)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let pid = daemon.processIdentifier
        #expect(harness.wait(timeout: 30) { ((try? harness.count("SELECT count(*) FROM workers")) ?? 0) > 0 })
        func descriptors() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count }
        func rssKilobytes() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        var dropped: [(partner: String, name: String)] = []
        var round = 0
        func dropRound() throws {
            for partner in 0..<8 {
                let name = "r\(round)-\(partner)"
                let kind = (round + partner) % 4
                switch kind {
                case 0: try harness.drop(ClaimsFile.make(rows: 30, partner: "s\(partner)", seed: name), partner: "s\(partner)", name: name + ".csv")
                case 1: try harness.drop(ClaimsFile.make(rows: 30, partner: "s\(partner)", seed: name, defects: [5: .npiCheckDigit]), partner: "s\(partner)", name: name + ".csv")
                case 2: try harness.drop("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><claims>&a;</claims>", partner: "s\(partner)", name: name + ".xml")
                default: try harness.drop("\u{0}\u{1}binary\u{0}", partner: "s\(partner)", name: name + ".csv")
                }
                dropped.append(("s\(partner)", name + (kind == 2 ? ".xml" : ".csv")))
            }
            round += 1
        }
        // Warm up, then measure.
        for _ in 0..<5 { try dropRound(); Thread.sleep(forTimeInterval: 0.2) }
        #expect(harness.wait(timeout: 60) { dropped.allSatisfy { harness.exists("outbox/\($0.partner)/\($0.name).result.json") } })
        let startFDs = descriptors(), startRSS = rssKilobytes()
        let end = Date().addingTimeInterval(seconds)
        while Date() < end { try dropRound(); Thread.sleep(forTimeInterval: 0.25) }
        #expect(harness.wait(timeout: 120) { dropped.allSatisfy { harness.exists("outbox/\($0.partner)/\($0.name).result.json") } })
        Thread.sleep(forTimeInterval: 1)
        let endFDs = descriptors(), endRSS = rssKilobytes()
        print("soak: \(dropped.count) files in \(Int(seconds)) s; fds \(startFDs) -> \(endFDs); RSS \(startRSS / 1024) MB -> \(endRSS / 1024) MB")
        #expect(endFDs <= startFDs + 2, "file descriptors leak: \(startFDs) -> \(endFDs)")
        #expect(endRSS < startRSS + 32 * 1024, "RSS grew from \(startRSS) kB to \(endRSS) kB")
        #expect(daemon.isRunning)
    }
}

/// Runs a program and returns its exit status.
@discardableResult
func shell(_ program: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
