import Foundation
import Testing

@Suite("schedules and expected drops")
struct ScheduleTests {
    /// Makes the daemon believe it last checked `name`'s clock `hours` hours ago (a stop).
    func rewind(_ harness: Harness, schedule name: String, hours: Double) throws {
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [harness.spool + "/intake.sqlite",
                            "UPDATE daemon_stats SET value = value - \(hours * 3600) WHERE name = 'schedule:\(name):checked_until'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
    }

    @Test("a schedule due while the daemon was stopped runs once after restart (latest), not twice; 'all' runs every missed slot")
    func catchUp() throws {
        let harness = try Harness(extraConfig: """
            schedules: [
              { name: "ops-latest", cron: "0 * * * *", kind: "report", catch_up: "latest" },
              { name: "ops-all", cron: "0 * * * *", kind: "report", catch_up: "all" },
            ],
            """)
        defer { harness.cleanUp() }
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM schedule_runs") == 0, "first sight of a schedule catches nothing up")
        // Five hourly slots pass while the daemon is stopped.
        try rewind(harness, schedule: "ops-latest", hours: 5)
        try rewind(harness, schedule: "ops-all", hours: 5)
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM schedule_runs WHERE schedule = 'ops-latest'") == 1)
        #expect(try harness.count("SELECT count(*) FROM schedule_runs WHERE schedule = 'ops-all'") == 5)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE kind = 'report' AND state = 'succeeded'") == 6)
        // A restart does not run any slot again.
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE kind = 'report'") == 6)
        let reports = try FileManager.default.contentsOfDirectory(atPath: harness.spool + "/outbox/staff")
        #expect(reports.contains { $0.hasSuffix(".csv") } && reports.contains { $0.hasSuffix(".html") })
    }

    @Test("an expected drop that does not arrive by due + grace shows as missing in status --json and raises an alert")
    func missingDrop() throws {
        let harness = try Harness(extraConfig: """
            expected_drops: [
              { partner: "acme", pattern: "remit-*.csv", cron: "0 * * * *", grace_minutes: 0 },
              { partner: "acme", pattern: "claims-*.csv", cron: "0 * * * *", grace_minutes: 0 },
            ],
            """)
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 2, partner: "acme"), partner: "acme", name: "claims-today.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let status = try harness.capture(["status", "--json"])
        #expect(status.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let drops = report["expected_drops"] as? [[String: Any]] ?? []
        #expect(drops.first { $0["pattern"] as? String == "remit-*.csv" }?["state"] as? String == "missing")
        #expect(drops.first { $0["pattern"] as? String == "claims-*.csv" }?["state"] as? String == "received")
        let alerts = report["open_alerts"] as? [[String: Any]] ?? []
        #expect(alerts.contains { $0["kind"] as? String == "drop_missing" && ($0["subject"] as? String)?.contains("remit-*.csv") == true })
        #expect(!alerts.contains { ($0["subject"] as? String)?.contains("claims-*.csv") == true })
    }
}
