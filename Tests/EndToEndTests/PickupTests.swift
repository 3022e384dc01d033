import Foundation
import Testing

@Suite("picking up files", .serialized)
struct PickupTests {
    @Test("a file written in chunks over 5 seconds is not claimed until the writer is done")
    func slowWriterIsNotClaimed() throws {
        let harness = try Harness(settleSeconds: 2)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let folder = harness.spool + "/inbox/acme"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/slow.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data((ClaimsFile.header + "\n").utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        for chunk in 0..<10 {
            Thread.sleep(forTimeInterval: 0.5)
            // Still in the inbox, and no job was made for it.
            #expect(FileManager.default.fileExists(atPath: path), "claimed during chunk \(chunk)")
            handle.seekToEndOfFile()
            let rows = (1...5).map { ClaimsFile.row(chunk * 5 + $0, partner: "acme") + "\n" }.joined()
            handle.write(Data(rows.utf8))
        }
        try handle.close()
        #expect(try harness.count("SELECT count(*) FROM files") == 0)
        #expect(harness.wait { harness.exists("outbox/acme/slow.csv.result.json") })
        let manifest = try harness.manifest(partner: "acme", name: "slow.csv")
        #expect(manifest["state"] as? String == "succeeded")
        #expect((manifest["counts"] as? [String: Any])?["rows_loaded"] as? Int == 50)
    }

    @Test("x.csv.part is ignored until it is renamed to x.csv, then processed")
    func partFileIgnoredUntilRenamed() throws {
        let harness = try Harness(settleSeconds: 0.3)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        try harness.drop(ClaimsFile.make(rows: 5, partner: "acme"), partner: "acme", name: "x.csv.part")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(harness.exists("inbox/acme/x.csv.part"))
        #expect(try harness.count("SELECT count(*) FROM files") == 0)
        try FileManager.default.moveItem(atPath: harness.spool + "/inbox/acme/x.csv.part", toPath: harness.spool + "/inbox/acme/x.csv")
        #expect(harness.wait { harness.exists("outbox/acme/x.csv.result.json") })
        #expect(try harness.manifest(partner: "acme", name: "x.csv")["state"] as? String == "succeeded")
        #expect(harness.exists("done/acme") && !harness.exists("inbox/acme/x.csv"))
    }

    @Test("the same content dropped twice under two names: the second is a duplicate naming the first job")
    func duplicateContent() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let content = ClaimsFile.make(rows: 10, partner: "acme")
        try harness.drop(content, partner: "acme", name: "first.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        try harness.drop(content, partner: "acme", name: "second.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let first = try harness.manifest(partner: "acme", name: "first.csv")
        let second = try harness.manifest(partner: "acme", name: "second.csv")
        #expect(first["state"] as? String == "succeeded")
        #expect(second["state"] as? String == "duplicate")
        let firstJob = (first["job_ids"] as? [Int])?.first
        let duplicateOf = second["duplicate_of"] as? [String: Any]
        #expect(firstJob != nil && duplicateOf?["job_id"] as? Int == firstJob)
        #expect(duplicateOf?["name"] as? String == "first.csv")
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 10)
    }

    @Test("the same content under two names at once, 40 times, two workers: each content is loaded once")
    func simultaneousTwins() throws {
        // The two files of a pair are claimed together and run on the two slots at the same
        // time, so their hashes are recorded within milliseconds of each other: whichever
        // order that happens in, one must load and the other end a duplicate.
        let harness = try Harness(settleSeconds: 0, workers: 2)
        defer { harness.cleanUp() }
        let pairs = 40, rows = 20
        for pair in 0..<pairs {
            let content = ClaimsFile.make(rows: rows, partner: "acme", seed: "P\(pair)x")
            try harness.drop(content, partner: "acme", name: "pair\(pair)-a.csv")
            try harness.drop(content, partner: "acme", name: "pair\(pair)-b.csv")
        }
        #expect(try harness.run(["run", "--once"]) == 0)
        for pair in 0..<pairs {
            let states = try ["a", "b"].map { try harness.manifest(partner: "acme", name: "pair\(pair)-\($0).csv")["state"] as? String ?? "?" }
            #expect(states.sorted() == ["duplicate", "succeeded"], "pair \(pair): \(states)")
        }
        #expect(try harness.count("SELECT count(*) FROM service_lines") == pairs * rows)
    }

    @Test("an empty file is settled, then rejected with file.empty, and the daemon goes on")
    func emptyFile() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop("", partner: "acme", name: "empty.csv")
        try harness.drop(ClaimsFile.make(rows: 3, partner: "acme"), partner: "acme", name: "good.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let empty = try harness.manifest(partner: "acme", name: "empty.csv")
        #expect(empty["state"] as? String == "rejected")
        #expect((empty["errors_by_code"] as? [String: Int])?["file.empty"] == 1)
        #expect(harness.exists("rejected/acme/empty.csv"))
        #expect(try harness.manifest(partner: "acme", name: "good.csv")["state"] as? String == "succeeded")
    }
}
