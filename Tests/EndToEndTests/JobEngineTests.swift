import Foundation
import Testing

@Suite("job engine", .serialized)
struct JobEngineTests {
    @Test("fairness: partner A's 2,000-file backlog does not starve partner B's one file")
    func fairness() throws {
        let harness = try Harness(settleSeconds: 0.2)
        defer { harness.cleanUp() }
        let daemon = try harness.start(["run"], environment: ["INTAKE_FAULT_INJECTION": "delay:0.05"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        for index in 0..<2000 {
            try harness.drop(ClaimsFile.make(rows: 1, partner: "acme", seed: "A\(index)-"), partner: "acme", name: "a\(index).csv")
        }
        // B drops once A's backlog is in the queue (jobs made before B's).
        #expect(harness.wait(timeout: 120) { ((try? harness.count("SELECT count(*) FROM jobs WHERE partner = 'acme'")) ?? 0) >= 500 })
        try harness.drop(ClaimsFile.make(rows: 1, partner: "globex", seed: "B"), partner: "globex", name: "b.csv")
        #expect(harness.wait(timeout: 120) { harness.exists("outbox/globex/b.csv.result.json") })
        let bJob = try harness.count("SELECT id FROM jobs WHERE partner = 'globex'")
        let aBefore = try harness.count("SELECT count(*) FROM jobs WHERE partner = 'acme' AND id < \(bJob)")
        // Fairness is about what happens once B is queued: A's jobs claimed between B's job being
        // made and B's start (first-in-first-out would claim the whole backlog, over 1,500).
        // Counting every A job finished before B instead measured how fast A ran before B came.
        let aClaimedFirst = try harness.count("""
            SELECT count(*) FROM jobs a, jobs b WHERE a.partner = 'acme' AND b.partner = 'globex'
              AND a.started_at >= b.created_at AND a.started_at < b.started_at
            """)
        let aQueuedBehindB = try harness.count("""
            SELECT count(*) FROM jobs a, jobs b WHERE a.partner = 'acme' AND b.partner = 'globex'
              AND a.id < b.id AND (a.started_at IS NULL OR a.started_at > b.started_at)
            """)
        #expect(aBefore >= 500, "B's job was made after A's backlog")
        #expect(aQueuedBehindB > 100, "A still had a backlog older than B's job when B started (\(aQueuedBehindB) jobs)")
        #expect(aClaimedFirst < 5, "A's jobs claimed after B was queued and before B started: \(aClaimedFirst)")
    }

    @Test("a slot that claims its next job as it closes one keeps it: no job is claimed twice or taken back as an orphan")
    func chainedClaimsAreKept() throws {
        let harness = try Harness(settleSeconds: 0.05)
        defer { harness.cleanUp() }
        let partners = ["acme", "globex", "initech", "umbrella"]
        for index in 0..<400 {
            let partner = partners[index % partners.count]
            try harness.drop(ClaimsFile.make(rows: 1, partner: partner, seed: "C\(index)-"), partner: partner, name: "c\(index).csv")
        }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        #expect(harness.wait(timeout: 180) { ((try? harness.count("SELECT count(*) FROM jobs WHERE delivered_at IS NOT NULL")) ?? 0) >= 400 })
        let claimedTwice = try harness.count("""
            SELECT count(*) FROM (SELECT job_id FROM job_history WHERE to_state = 'running' GROUP BY job_id HAVING count(*) > 1)
            """)
        let takenBack = try harness.count("SELECT count(*) FROM job_history WHERE reason LIKE '%could not record why%'")
        #expect(claimedTwice == 0, "\(claimedTwice) jobs were claimed more than once")
        #expect(takenBack == 0, "\(takenBack) running jobs were requeued as orphans")
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == 400)
    }

    @Test("a transient failure twice, then success: three attempts with growing delays; a validation failure: one attempt")
    func retries() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 3, partner: "acme"), partner: "acme", name: "flaky.csv")
        #expect(try harness.run(["run", "--once"], environment: ["INTAKE_FAULT_INJECTION": "transient:2"]) == 0)
        let db = try harness.database()
        let job = try #require(try db.fetchOne("SELECT * FROM jobs"))
        #expect(job.string("state") == "succeeded")
        #expect(job.int("attempts") == 3)
        let delays = try db.fetchAll("SELECT reason FROM job_history WHERE reason LIKE 'attempt % failed%' ORDER BY id").compactMap { row -> Double? in
            guard let reason = row.string("reason"), let range = reason.range(of: "retry in ") else { return nil }
            return Double(reason[range.upperBound...].prefix { $0 != " " })
        }
        #expect(delays.count == 2)
        #expect(delays.count == 2 && delays[1] > delays[0])

        try harness.drop(ClaimsFile.make(rows: 3, partner: "acme", seed: "V", defects: [2: .hcpcsFormat]), partner: "acme", name: "invalid.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT attempts FROM jobs WHERE state = 'rejected'") == 1)
    }

    @Test("a job past its time limit ends timed_out and frees its worker")
    func timeLimit() throws {
        let harness = try Harness(workers: 1, extraConfig: "job_kinds: { claims_import: { timeout_seconds: 1 } },")
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 2, partner: "acme"), partner: "acme", name: "slow.csv")
        let daemon = try harness.start(["run"], environment: ["INTAKE_FAULT_INJECTION": "delay:30"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        #expect(harness.wait(timeout: 30) { harness.exists("outbox/acme/slow.csv.result.json") })
        #expect(try harness.manifest(partner: "acme", name: "slow.csv")["state"] as? String == "timed_out")
        #expect(harness.wait(timeout: 10) { ((try? harness.count("SELECT count(*) FROM workers WHERE status = 'busy'")) ?? 1) == 0 }, "the worker is free again")
    }

    @Test("a running job cancelled from the command line stops within a second")
    func cancelRunning() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 2, partner: "acme"), partner: "acme", name: "long.csv")
        let daemon = try harness.start(["run"], environment: ["INTAKE_FAULT_INJECTION": "delay:60"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        #expect(harness.wait(timeout: 30) { ((try? harness.count("SELECT count(*) FROM jobs WHERE state = 'running'")) ?? 0) == 1 })
        let asked = Date()
        let cancel = try harness.capture(["jobs", "cancel", "1", "--reason", "wrong file"])
        #expect(cancel.status == 0)
        #expect(harness.wait(timeout: 10) { ((try? harness.count("SELECT count(*) FROM jobs WHERE state = 'cancelled'")) ?? 0) == 1 })
        #expect(Date().timeIntervalSince(asked) < 2.0)
        let finished = try #require(try harness.database().fetchOne("SELECT finished_at, error_message FROM jobs WHERE id = 1"))
        #expect((finished.double("finished_at") ?? 0) - asked.timeIntervalSince1970 < 1.0)
        #expect(finished.string("error_message")?.contains("wrong file") == true)
        #expect(harness.wait(timeout: 10) { harness.exists("outbox/acme/long.csv.result.json") })
    }

    @Test("a dependency that fails cancels its dependents with the reason; a cycle is refused")
    func dependencies() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let folder = harness.root + "/files"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ClaimsFile.make(rows: 3, partner: "acme", seed: "X", defects: [1: .npiCheckDigit]).write(toFile: folder + "/x.csv", atomically: true, encoding: .utf8)
        try ClaimsFile.make(rows: 3, partner: "acme", seed: "Y").write(toFile: folder + "/y.csv", atomically: true, encoding: .utf8)
        try ClaimsFile.make(rows: 3, partner: "acme", seed: "Z").write(toFile: folder + "/z.csv", atomically: true, encoding: .utf8)
        #expect(try harness.capture(["submit", folder + "/x.csv", "--partner", "acme"]).status == 0)
        #expect(try harness.capture(["submit", folder + "/y.csv", "--partner", "acme", "--depends-on", "1"]).status == 0)
        #expect(try harness.capture(["submit", folder + "/z.csv", "--partner", "acme", "--depends-on", "2"]).status == 0)
        let cycle = try harness.capture(["jobs", "depend", "1", "--on", "3"])
        #expect(cycle.status == 1)
        #expect(cycle.output.contains("cycle"))
        #expect(try harness.count("SELECT count(*) FROM job_dependencies WHERE job_id = 1") == 0)

        #expect(try harness.run(["run", "--once"]) == 0)
        let db = try harness.database()
        #expect(try db.fetchOne("SELECT state FROM jobs WHERE id = 1")?.string("state") == "rejected")
        for id in [2, 3] {
            let row = try #require(try db.fetchOne("SELECT state, error_code, error_message FROM jobs WHERE id = ?", id))
            #expect(row.string("state") == "cancelled")
            #expect(row.string("error_code") == "job.dependency_failed")
        }
        #expect(try db.fetchOne("SELECT error_message FROM jobs WHERE id = 2")?.string("error_message") == "dependency job 1 ended rejected")
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 0)
    }

    @Test("status counts (kept by triggers) agree with the jobs table, through finishes, rejections and a retry")
    func statusCounters() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        for index in 0..<4 {
            try harness.drop(ClaimsFile.make(rows: 3, partner: "acme", seed: "S\(index)-"), partner: "acme", name: "s\(index).csv")
        }
        try harness.drop(ClaimsFile.make(rows: 3, partner: "globex", seed: "G", defects: [2: .hcpcsFormat]), partner: "globex", name: "bad.csv")
        #expect(try harness.run(["run", "--once"]) == 0)

        func report() throws -> [String: Any] {
            let status = try harness.capture(["status", "--json"])
            #expect(status.status == 0)
            return try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any] ?? [:]
        }
        func expectCountsMatchTable() throws {
            let shown = try report()
            let byState = shown["jobs_by_state"] as? [String: Int] ?? [:]
            var counted: [String: Int] = [:]
            for row in try harness.database().fetchAll("SELECT state, count(*) AS n FROM jobs GROUP BY state") {
                counted[row.string("state") ?? ""] = row.int("n") ?? 0
            }
            #expect(byState == counted)
            let byPartner = (shown["jobs_by_partner"] as? [[String: Any]] ?? []).map { "\($0["partner"] ?? "")/\($0["state"] ?? "")=\($0["count"] ?? "")" }
            let table = try harness.database().fetchAll("SELECT partner, state, count(*) AS n FROM jobs GROUP BY partner, state ORDER BY partner, state")
                .map { "\($0.string("partner") ?? "")/\($0.string("state") ?? "")=\($0.int("n") ?? 0)" }
            #expect(byPartner == table)
        }
        try expectCountsMatchTable()
        let hour = try report()["last_hour"] as? [String: Any] ?? [:]
        #expect(hour["finished"] as? Int == 5)
        #expect(hour["failed"] as? Int == 1)
        #expect(hour["rows_loaded"] as? Int == 12)

        // A retried job moves back to queued, then finishes again: counts follow it.
        let rejected = try harness.count("SELECT id FROM jobs WHERE state = 'rejected'")
        #expect(try harness.capture(["jobs", "retry", "\(rejected)"]).status == 0)
        try expectCountsMatchTable()
        #expect(try harness.run(["run", "--once"]) == 0)
        try expectCountsMatchTable()
        #expect((try report()["last_hour"] as? [String: Any])?["finished"] as? Int == 6, "each finish is counted")
    }

    @Test("100 jobs run at once without errors (peak running count recorded)")
    func hundredConcurrent() throws {
        let harness = try Harness(workers: 100)
        defer { harness.cleanUp() }
        for index in 0..<100 {
            try harness.drop(ClaimsFile.make(rows: 2, partner: "acme", seed: "P\(index)-"), partner: "acme", name: "p\(index).csv")
        }
        #expect(try harness.run(["run", "--once"], environment: ["INTAKE_FAULT_INJECTION": "delay:4"], timeout: 240) == 0)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == 100)
        #expect(try harness.count("SELECT CAST(value AS INTEGER) FROM daemon_stats WHERE name = 'peak_running'") == 100)
        let status = try harness.capture(["status", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        #expect(report?["peak_running"] as? Int == 100)
    }
}
