import Foundation
import Testing

@Suite("feeds and the validate command")
struct FeedTests {
    @Test("a done-marker feed waits for NAME.done, not for the settle window, and removes the marker")
    func doneMarker() throws {
        // A settle window far longer than the test: only the marker can release the file.
        let harness = try Harness(settleSeconds: 600, extraConfig: """
            partners: { acme: { feeds: [ { name: "claims", pattern: "*.csv", done_marker: ".done" } ] } },
            """)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        try harness.drop(ClaimsFile.make(rows: 4, partner: "acme"), partner: "acme", name: "m.csv")
        Thread.sleep(forTimeInterval: 1.0)
        #expect(harness.exists("inbox/acme/m.csv"))
        try harness.drop("", partner: "acme", name: "m.csv.done")
        #expect(harness.wait(timeout: 30) { harness.exists("outbox/acme/m.csv.result.json") })
        #expect(try harness.manifest(partner: "acme", name: "m.csv")["state"] as? String == "succeeded")
        #expect(!harness.exists("inbox/acme/m.csv.done"))
        #expect(!harness.exists("outbox/acme/m.csv.done.result.json"))
    }

    @Test("intake validate prints the error manifest, exits 1 for a file that would be rejected, and loads nothing")
    func validateCommand() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let folder = harness.root + "/acme"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ClaimsFile.make(rows: 10, partner: "acme", defects: [4: .hcpcsFormat]).write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        try ClaimsFile.make(rows: 10, partner: "acme").write(toFile: folder + "/good.csv", atomically: true, encoding: .utf8)
        let bad = try harness.capture(["validate", folder + "/bad.csv"])
        #expect(bad.status == 1)
        #expect(bad.output.contains("5,4,"))
        #expect(bad.output.contains("hcpcs.format"))
        let good = try harness.capture(["validate", folder + "/good.csv", "--partner", "acme"])
        #expect(good.status == 0)
        #expect(good.output.contains("succeeded"))
        #expect(!harness.exists("intake.sqlite"))
        let usage = try harness.capture(["validate"])
        #expect(usage.status == 64)
    }

    @Test("a file matching no feed is sniffed; unknown content is rejected with the partner's feeds listed")
    func sniffing() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 3, partner: "acme"), partner: "acme", name: "export.dat")
        try harness.drop("just some text\n", partner: "acme", name: "notes.txt")
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.manifest(partner: "acme", name: "export.dat")["state"] as? String == "succeeded")
        let unknown = try harness.manifest(partner: "acme", name: "notes.txt")
        #expect(unknown["state"] as? String == "rejected")
        #expect((unknown["errors_by_code"] as? [String: Int])?["file.unknown_feed"] == 1)
        #expect((unknown["message"] as? String)?.contains("claims (*.csv)") == true)
    }
}
