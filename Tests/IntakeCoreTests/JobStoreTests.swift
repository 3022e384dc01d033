import Foundation
@testable import IntakeCore
import Testing

@Suite("job store")
struct JobStoreTests {
    /// A store on a fresh temporary spool, removed by the caller.
    private func makeStore() throws -> (IntakeStore, String) {
        let root = NSTemporaryDirectory() + "intake-jobstore-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return (try IntakeStore(spool: Spool(root: root)), root)
    }

    @Test("a run whose job was put back in the queue cannot record an outcome; the run that holds it can")
    func supersededRunRecordsNothing() throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try store.enqueueNoopJobs(count: 1, partner: "acme", now: 1_000)
        let first = try #require(try store.claimNextJob(owner: "test/1", leaseSeconds: 60, now: 1_001))
        // The job goes back to the queue while the first run still holds its record (what an
        // orphan requeue or an expired lease does), and a second run takes it.
        try store.requeue(job: first, runAfter: 1_001, reason: "test: requeued while running", countAttempt: false, now: 1_001)
        let second = try #require(try store.claimNextJob(owner: "test/2", leaseSeconds: 60, now: 1_002))
        #expect(second.id == first.id)

        let outcome = JobOutcome(state: .succeeded, reason: "done")
        try store.transaction { try store.finish(job: second, outcome: outcome, fileState: "done", now: 1_003) }
        #expect(try store.job(id: first.id)?.state == .succeeded)
        // The first run ends later: the job has ended already, so its outcome is refused and
        // its transaction rolls back.
        var refused = false
        do {
            try store.transaction { try store.finish(job: first, outcome: JobOutcome(state: .failed, reason: "late"), fileState: "failed", now: 1_004) }
        } catch JobError.superseded {
            refused = true
        }
        #expect(refused)
        let job = try #require(try store.job(id: first.id))
        #expect(job.state == .succeeded)
        #expect(try store.connection.fetchInt("SELECT count(*) FROM job_history WHERE job_id = ? AND to_state = 'failed'", first.id) == 0)
    }
}
