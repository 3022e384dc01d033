import Foundation
import Testing

@Suite("crashes and stops", .serialized)
struct CrashTests {
    static let rows = 200_000

    /// Drops the big file and starts the daemon; returns when the load stage has begun.
    func startLoading(_ harness: Harness, extraArguments: [String] = []) throws -> Process {
        try harness.drop(ClaimsFile.make(rows: Self.rows, partner: "acme"), partner: "acme", name: "big.csv")
        let daemon = try harness.start(["run"] + extraArguments)
        // The parse task commits before the load transaction opens.
        let started = harness.wait(timeout: 60) {
            (try? harness.count("SELECT count(*) FROM tasks WHERE stage = 'parse' AND state = 'succeeded'")) == 1
        }
        #expect(started)
        Thread.sleep(forTimeInterval: 0.3)
        return daemon
    }

    @Test("SIGKILL while loading 200,000 rows: after a restart the file is processed exactly once")
    func killDuringLoad() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try startLoading(harness)
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        // Killed mid-load: nothing of the file was committed and the job still looks running.
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 0)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state = 'running'") == 1)

        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == Self.rows)
        #expect(try harness.count("SELECT count(*) FROM jobs") == 1)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state = 'succeeded' AND attempts = 2") == 1)
        #expect(try harness.count("SELECT count(*) FROM job_history WHERE reason LIKE 'recovered at start-up%'") == 1)
        #expect(harness.workFiles().isEmpty)
        #expect(try harness.manifest(partner: "acme", name: "big.csv")["state"] as? String == "succeeded")
    }

    @Test("SIGTERM mid-file exits 0, releases the job, and a restart finishes the work")
    func termDuringLoad() throws {
        let harness = try Harness(extraConfig: "shutdown_grace_seconds: 0,")
        defer { harness.cleanUp() }
        let daemon = try startLoading(harness)
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(try harness.count("SELECT count(*) FROM jobs WHERE state = 'queued'") == 1)
        #expect(try harness.count("SELECT count(*) FROM job_history WHERE reason LIKE 'released%'") == 1)
        #expect(try harness.count("SELECT count(*) FROM tasks WHERE state = 'pending'") == 0)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 0)

        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == Self.rows)
        #expect(harness.workFiles().isEmpty)
    }

    @Test("a reader polling the outbox never sees a partial manifest")
    func manifestsAreAtomic() throws {
        let harness = try Harness(settleSeconds: 0.1)
        defer { harness.cleanUp() }
        let count = 40
        for index in 0..<count {
            let defects: [Int: ClaimsFile.Defect] = index % 2 == 0 ? [3: .hcpcsFormat] : [:]
            try harness.drop(ClaimsFile.make(rows: 200, partner: "acme", seed: "F\(index)", defects: defects), partner: "acme", name: "f\(index).csv")
        }
        let daemon = try harness.start(["run"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let outbox = harness.spool + "/outbox/acme"
        var complete = Set<String>()
        var reads = 0
        let deadline = Date().addingTimeInterval(90)
        while complete.count < count && Date() < deadline {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? [] where !name.hasPrefix(".") {
                guard let data = FileManager.default.contents(atPath: outbox + "/" + name) else { continue }
                reads += 1
                if name.hasSuffix(".result.json") {
                    let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                    #expect(parsed?["state"] != nil, "partial manifest seen: \(name)")
                    complete.insert(name)
                } else if name.hasSuffix(".errors.csv") {
                    let text = String(decoding: data, as: UTF8.self)
                    #expect(text.hasPrefix("line,record") && text.hasSuffix("\r\n"), "partial error manifest seen: \(name)")
                }
            }
        }
        #expect(complete.count == count)
        #expect(reads > count)
    }
}
