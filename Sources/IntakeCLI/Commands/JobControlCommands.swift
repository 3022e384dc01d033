import Foundation
import IntakeCore

/// `intake jobs cancel ID`.
struct JobsCancelCommand: IntakeCommand {
    static let name = "jobs cancel"
    static let abstract = "cancel a queued job, or stop a running one at its next check"
    static let usage = "intake [--spool DIR] jobs cancel ID [--reason TEXT]"

    let global: GlobalOptions
    let id: Int64
    let reason: String

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        reason = try arguments.option("--reason") ?? ""
        id = try jobID(from: &arguments, command: "jobs cancel")
    }

    func run() async throws -> Int32 {
        let store = try openWritableExistingStore(global.spool)
        do {
            let state = try store.requestCancel(job: id, reason: reason, now: epochNow())
            if state == "cancelled" {
                // Answer the partner now: its manifests, and the jobs that needed this one.
                let cancelled = try store.cancelDependents(of: id, because: "dependency job \(id) was cancelled", now: epochNow())
                for job in [id] + cancelled { try Deliverer(store: store).deliver(jobID: job) }
            }
            print(state == "cancelled" ? "job \(id) cancelled" : "job \(id) is running; it stops at its next check (within about a second)")
            return 0
        } catch let error as JobControlError {
            throw CommandFailure(message: error.message)
        }
    }
}

/// `intake jobs retry ID`.
struct JobsRetryCommand: IntakeCommand {
    static let name = "jobs retry"
    static let abstract = "requeue a failed, rejected, cancelled or timed-out job with its file"
    static let usage = "intake [--spool DIR] jobs retry ID"

    let global: GlobalOptions
    let id: Int64

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        id = try jobID(from: &arguments, command: "jobs retry")
    }

    func run() async throws -> Int32 {
        let store = try openWritableExistingStore(global.spool)
        do {
            try store.retry(job: id, now: epochNow())
            print("job \(id) queued again")
            return 0
        } catch let error as JobControlError {
            throw CommandFailure(message: error.message)
        }
    }
}

/// `intake jobs depend ID --on OTHER`.
struct JobsDependCommand: IntakeCommand {
    static let name = "jobs depend"
    static let abstract = "make a queued job wait for another (refused if it would make a cycle)"
    static let usage = "intake [--spool DIR] jobs depend ID --on OTHER"

    let global: GlobalOptions
    let id: Int64
    let other: Int64

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        guard let word = try arguments.option("--on"), let other = Int64(word) else { throw UsageError(message: "jobs depend needs --on JOB") }
        self.other = other
        id = try jobID(from: &arguments, command: "jobs depend")
    }

    func run() async throws -> Int32 {
        let store = try openWritableExistingStore(global.spool)
        do {
            try store.addDependency(job: id, dependsOn: other)
            print("job \(id) now waits for job \(other)")
            return 0
        } catch let error as JobControlError {
            throw CommandFailure(message: error.message)
        }
    }
}

func jobID(from arguments: inout Arguments, command: String) throws(UsageError) -> Int64 {
    guard let word = arguments.positional() else { throw UsageError(message: "\(command) needs a job id") }
    guard let id = Int64(word), id > 0 else { throw UsageError(message: "'\(word)' is not a job id") }
    return id
}

/// Opens the spool's database for a command that changes it, refusing to create one.
func openWritableExistingStore(_ spool: Spool) throws -> IntakeStore {
    guard FileManager.default.fileExists(atPath: spool.databasePath) else {
        throw CommandFailure(message: "no database at \(spool.databasePath); run 'intake init' or 'intake run' first, or pass --spool")
    }
    return try IntakeStore(spool: spool)
}
