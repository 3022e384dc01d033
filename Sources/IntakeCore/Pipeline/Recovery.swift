import Foundation

/// Start-up repair after a crash, run before anything is claimed: finish half-done claims,
/// requeue jobs whose daemon died, and deliver jobs that finished but were not delivered.
struct Recovery {
    let store: IntakeStore
    let log: Log

    func run() throws {
        let spool = store.spool
        for file in try store.files(inState: "claiming") {
            let inbox = spool.absolute(file.inboxPath)
            let work = file.workPath.map(spool.absolute)
            if let work, FileSystem.exists(work) {
                try store.markFileClaimed(file.id)
                log.info("recovered a claim: the file was already in work/", ["file": "\(file.id)", "name": file.name])
            } else if let work, FileSystem.exists(inbox) {
                try FileSystem.makeDirectory((work as NSString).deletingLastPathComponent)
                try FileSystem.rename(inbox, to: work)
                try store.markFileClaimed(file.id)
                log.info("recovered a claim: moved the file into work/", ["file": "\(file.id)", "name": file.name])
            } else if let jobID = file.jobID, let job = try store.job(id: jobID) {
                var outcome = JobOutcome(state: .failed, reason: "\(file.inboxPath) disappeared between its claim and its move into work/")
                outcome.errorCode = .fileVanished
                outcome.errorMessage = outcome.reason
                try store.transaction {
                    try store.connection.run("UPDATE jobs SET state = 'running' WHERE id = ?", jobID)
                    try store.finish(job: job, outcome: outcome, fileState: "lost", now: epochNow())
                }
                log.error("a claimed file vanished", ["file": "\(file.id)", "name": file.name])
            }
        }
        let requeued = try store.requeueAbandonedJobs(now: epochNow())
        if !requeued.isEmpty {
            log.warning("requeued jobs abandoned by a previous run", ["jobs": requeued.map(String.init).joined(separator: ",")])
        }
    }
}
