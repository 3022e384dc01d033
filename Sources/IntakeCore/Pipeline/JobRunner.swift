import Foundation
import Glibc
import SQLiteStore

/// Runs one claimed job to an outcome and delivers it. Never throws: every failure becomes
/// the job's outcome, a retry, or a release, as swift-jobs does with its job results.
public struct JobRunner {
    let store: IntakeStore
    let config: IntakeConfig
    let workerID: String
    let log: Log
    var faults = FaultInjection.none

    public init(store: IntakeStore, config: IntakeConfig, workerID: String, log: Log, faults: FaultInjection = .none) {
        self.store = store
        self.config = config
        self.workerID = workerID
        self.log = log
        self.faults = faults
    }

    /// Runs `job` to its outcome and delivers it. With `nextClaim`, the commit that closes
    /// this job (resources used, the delivery) also claims the slot's next job, which is
    /// returned: a busy queue then costs two commits a job and no coordinator pass.
    @discardableResult
    public func run(_ job: JobRecord, cancellation: CancellationFlag, nextClaim: NextJobClaim? = nil) -> JobRecord? {
        let started = epochNow()
        let usage = ResourceMeter()
        var next: JobRecord?
        var isClosed = false
        /// Inside a transaction: what the job used, then the slot's next job or its release.
        func close() throws -> JobRecord? {
            try store.recordResourceUsage(job: job.id, cpuMilliseconds: usage.cpuMilliseconds(), peakRSSKilobytes: ResourceMeter.peakRSSKilobytes())
            try store.setWorker(workerID, busyWith: nil, now: epochNow())
            return try nextClaim?.claim(store, workerID)
        }
        /// Delivers this job's own outcome, closing it in the same commit.
        func deliverOwn() {
            var claimed: JobRecord?
            do {
                try Deliverer(store: store).deliver(jobID: job.id) { claimed = try close() }
                next = claimed
                isClosed = true
            } catch {
                log.error("delivery failed; will retry", ["job": "\(job.id)", "error": "\(error)"])
            }
        }
        /// True when the job ended (and needs delivering), false when it went back to the queue.
        func runToEnd() -> Bool {
            do {
                if let failed = try store.failedRequirement(of: job.id) {
                    var outcome = JobOutcome(state: .cancelled, reason: "dependency job \(failed.id) ended \(failed.state.rawValue)")
                    outcome.errorCode = .dependencyFailed
                    outcome.errorMessage = outcome.reason
                    try store.transaction { try store.finish(job: job, outcome: outcome, fileState: "failed", now: epochNow()) }
                    cancelDependents(of: job, state: .cancelled)
                    return true
                }
                try faults.apply(to: job, cancellation: cancellation)
                let outcome = try execute(job, cancellation: cancellation)
                log.info("job finished", ["job": "\(job.id)", "partner": job.partner, "state": outcome.state.rawValue,
                                          "ms": "\(Int((epochNow() - started) * 1000))", "detail": outcome.reason])
                if !outcome.state.isAccepted && outcome.state != .duplicate { cancelDependents(of: job, state: outcome.state) }
                return true
            } catch let error as JobError {
                return handle(error, job: job)
            } catch {
                return handle(classify(error), job: job)
            }
        }
        if runToEnd() { deliverOwn() }
        // Requeued, or the delivery failed (it is retried later): close in a commit of its own.
        if !isClosed { next = try? store.transaction { try close() } }
        return next
    }

    /// Delivery failures leave the job undelivered; the supervisor tries again later.
    func deliver(_ jobID: Int64) {
        do {
            try Deliverer(store: store).deliver(jobID: jobID)
        } catch {
            log.error("delivery failed; will retry", ["job": "\(jobID)", "error": "\(error)"])
        }
    }

    private func execute(_ job: JobRecord, cancellation: CancellationFlag) throws -> JobOutcome {
        let file = try job.fileID.flatMap { try store.file(id: $0) }
        let feed = FeedRouter(config: config).feed(named: job.feed, partner: job.partner)
        guard let kind = JobKinds.make(job.kind) else {
            var outcome = JobOutcome(state: .failed, reason: "unknown job kind \(job.kind)")
            outcome.errorCode = .internalError
            outcome.errorMessage = outcome.reason
            try store.transaction { try store.finish(job: job, outcome: outcome, fileState: "failed", now: epochNow()) }
            return outcome
        }
        let context = JobContext(job: job, file: file, feed: feed, store: store, config: config, workerID: workerID,
                                 cancellation: cancellation, today: CivilDate.today())
        return try kind.run(context)
    }

    /// Transient when it might work later: contention, I/O, a full disk.
    private func classify(_ error: any Error) -> JobError {
        if let error = error as? SQLiteError {
            if error.isInterrupted { return .cancelled(.shutdown("interrupted")) }
            if error.isTransient { return .transient(error.description) }
        }
        if let error = error as? FileSystemError { return .transient(error.description) }
        if let error = error as? CSVReadError, error.code == .fileUnreadable { return .transient(error.message) }
        return .transient("unexpected error: \(error)")
    }

    /// Records the failure; true when it ended the job (which then needs delivering).
    private func handle(_ error: JobError, job: JobRecord) -> Bool {
        let now = epochNow()
        do {
            switch error {
            case .superseded(let reason):
                log.warning("job run dropped", ["job": "\(job.id)", "reason": reason])
                return false
            case .deferred(let seconds, let reason):
                try store.requeue(job: job, runAfter: now + seconds, reason: reason, countAttempt: false, now: now)
            case .cancelled(.shutdown(let why)):
                try store.requeue(job: job, runAfter: now, reason: "released: \(why)", countAttempt: false, now: now)
                log.info("job released", ["job": "\(job.id)", "reason": why])
            case .cancelled(let reason):
                let state: JobState
                if case .timeout = reason { state = .timedOut } else { state = .cancelled }
                var outcome = JobOutcome(state: state, reason: reason.description)
                outcome.errorCode = state == .timedOut ? .timedOut : .cancelled
                outcome.errorMessage = reason.description
                try store.transaction { try store.finish(job: job, outcome: outcome, fileState: "failed", now: now) }
                log.warning("job stopped", ["job": "\(job.id)", "state": state.rawValue, "reason": reason.description])
                cancelDependents(of: job, state: state)
                return true
            case .transient(let reason):
                if job.attempts < job.maxAttempts {
                    let delay = RetryPolicy(base: config.retryBaseSeconds).delay(afterAttempt: job.attempts)
                    try store.requeue(job: job, runAfter: now + delay,
                                      reason: "attempt \(job.attempts) failed (\(reason)); retry in \(String(format: "%.2f", delay)) s",
                                      countAttempt: true, now: now)
                    log.warning("job will retry", ["job": "\(job.id)", "attempt": "\(job.attempts)", "error": reason])
                } else {
                    var outcome = JobOutcome(state: .failed, reason: "failed after \(job.attempts) attempts: \(reason)")
                    outcome.errorCode = .internalError
                    outcome.errorMessage = outcome.reason
                    try store.transaction { try store.finish(job: job, outcome: outcome, fileState: "failed", now: now) }
                    log.error("job failed", ["job": "\(job.id)", "error": reason])
                    cancelDependents(of: job, state: .failed)
                    return true
                }
            }
        } catch {
            // The database itself is failing; the lease will lapse and recovery requeues it.
            log.error("could not record the job's failure", ["job": "\(job.id)", "error": "\(error)"])
        }
        return false
    }

    private func cancelDependents(of job: JobRecord, state: JobState) {
        do {
            let cancelled = try store.cancelDependents(of: job.id, because: "dependency job \(job.id) ended \(state.rawValue)", now: epochNow())
            for id in cancelled { deliver(id) }
        } catch {
            log.error("could not cancel dependent jobs", ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}

/// How a worker slot claims its next job in the commit that closes the current one: the
/// supervisor's rule (not while stopping) and the store's fair claim.
public struct NextJobClaim: Sendable {
    let claim: @Sendable (IntakeStore, String) throws -> JobRecord?

    public init(_ claim: @escaping @Sendable (IntakeStore, String) throws -> JobRecord?) {
        self.claim = claim
    }
}

/// Exponential backoff with jitter: between half and all of `base * 2^(attempt-1)`, capped.
struct RetryPolicy {
    let base: Double
    var cap: Double = 300

    func delay(afterAttempt attempt: Int) -> Double {
        let step = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return step / 2 + Double.random(in: 0...(step / 2))
    }
}

/// CPU time of the calling thread and the process's peak memory, for a job's result.
struct ResourceMeter {
    private let startCPU = ResourceMeter.threadCPUNanoseconds()

    func cpuMilliseconds() -> Int { Int((Self.threadCPUNanoseconds() - startCPU) / 1_000_000) }

    static func threadCPUNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Peak resident set of the whole process so far (Linux reports kilobytes).
    static func peakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }
}

extension CivilDate {
    /// Today's date in UTC.
    static func today() -> CivilDate {
        let components = Calendar.utc.dateComponents([.year, .month, .day], from: Date())
        return CivilDate(year: components.year ?? 1970, month: components.month ?? 1, day: components.day ?? 1)
            ?? CivilDate.epoch
    }

    static let epoch = CivilDate(year: 1970, month: 1, day: 1)!
}
