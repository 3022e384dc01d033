import SQLiteStore

/// A job as stored.
public struct JobRecord: Sendable {
    public let id: Int64
    public let kind: String
    public let partner: String
    public let fileID: Int64?
    public let feed: String?
    public let priority: Int
    public let state: JobState
    public let attempts: Int
    public let maxAttempts: Int
    public let runAfter: Double
    public let leaseOwner: String?
    public let leaseExpiresAt: Double?
    public let createdAt: Double
    public let startedAt: Double?
    public let finishedAt: Double?
    public let deliveredAt: Double?
    public let rowsRead: Int
    public let rowsLoaded: Int
    public let rowsRejected: Int
    public let rowsSkipped: Int
    public let errorCount: Int
    public let errorCode: String?
    public let errorMessage: String?
    public let outputs: String
    public let parentJobID: Int64?
    /// Set by `intake jobs cancel` while the job runs: the reason.
    public let cancelRequested: String?
    public let timeoutSeconds: Double?
    public let cpuMilliseconds: Int?
    public let peakRSSKilobytes: Int?
    public let params: String

    init(_ row: Row) {
        id = row.int64("id") ?? 0
        kind = row.string("kind") ?? ""
        partner = row.string("partner") ?? ""
        fileID = row.int64("file_id")
        feed = row.string("feed")
        priority = row.int("priority") ?? 0
        state = JobState(rawValue: row.string("state") ?? "") ?? .failed
        attempts = row.int("attempts") ?? 0
        maxAttempts = row.int("max_attempts") ?? 1
        runAfter = row.double("run_after") ?? 0
        leaseOwner = row.string("lease_owner")
        leaseExpiresAt = row.double("lease_expires_at")
        createdAt = row.double("created_at") ?? 0
        startedAt = row.double("started_at")
        finishedAt = row.double("finished_at")
        deliveredAt = row.double("delivered_at")
        rowsRead = row.int("rows_read") ?? 0
        rowsLoaded = row.int("rows_loaded") ?? 0
        rowsRejected = row.int("rows_rejected") ?? 0
        rowsSkipped = row.int("rows_skipped") ?? 0
        errorCount = row.int("error_count") ?? 0
        errorCode = row.string("error_code")
        errorMessage = row.string("error_message")
        outputs = row.string("outputs") ?? "[]"
        parentJobID = row.int64("parent_job_id")
        cancelRequested = row.string("cancel_requested")
        timeoutSeconds = row.double("timeout_seconds")
        cpuMilliseconds = row.int("cpu_ms")
        peakRSSKilobytes = row.int("peak_rss_kb")
        params = row.string("params") ?? "{}"
    }
}

/// What a job ended with, written in the same transaction as its records.
public struct JobOutcome: Sendable {
    public var state: JobState
    public var rowsRead = 0
    public var rowsLoaded = 0
    public var rowsRejected = 0
    public var rowsSkipped = 0
    public var errorCount = 0
    public var errorCode: ErrorCode?
    public var errorMessage: String?
    public var reason: String

    public init(state: JobState, reason: String) {
        self.state = state
        self.reason = reason
    }
}

extension IntakeStore {
    /// A read (no write lock) to skip claiming when nothing is runnable.
    public func hasRunnableJobs(now: Double) throws -> Bool {
        try connection.fetchInt("SELECT 1 FROM jobs WHERE \(Self.readyCondition.replacingOccurrences(of: "?now", with: "?1")) LIMIT 1", now) != nil
    }

    public func job(id: Int64) throws -> JobRecord? {
        try connection.fetchOne("SELECT * FROM jobs WHERE id = ?", id).map(JobRecord.init)
    }

    /// Writes the job's final state and counts (call inside the load transaction).
    ///
    /// Only a running job ends: if the job was put back in the queue while this run went on
    /// (or another run already ended it), this throws `JobError.superseded` and the caller's
    /// transaction, rows and all, rolls back, so one run's rows are never loaded twice.
    func finish(job: JobRecord, outcome: JobOutcome, fileState: String, duplicateOf: Int64? = nil, now: Double) throws {
        try connection.run("""
            UPDATE jobs SET state = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                rows_read = ?, rows_loaded = ?, rows_rejected = ?, rows_skipped = ?, error_count = ?,
                error_code = ?, error_message = ?
            WHERE id = ? AND state = 'running'
            """, outcome.state.rawValue, now, outcome.rowsRead, outcome.rowsLoaded, outcome.rowsRejected, outcome.rowsSkipped,
            outcome.errorCount, outcome.errorCode?.rawValue, outcome.errorMessage, job.id)
        guard connection.changes == 1 else {
            throw JobError.superseded("job \(job.id) is no longer running on this slot (requeued or ended while it ran); this run's outcome is dropped")
        }
        if let fileID = job.fileID {
            try connection.run("UPDATE files SET state = ?, finished_at = ?, duplicate_of = ? WHERE id = ?", fileState, now, duplicateOf, fileID)
        }
        try recordHistory(job: job.id, from: .running, to: outcome.state, attempt: job.attempts, reason: outcome.reason, at: now)
    }

    /// Puts a running job back in the queue (shutdown, transient failure, waiting on a twin).
    public func requeue(job: JobRecord, runAfter: Double, reason: String, countAttempt: Bool, now: Double) throws {
        try transaction {
            try connection.run("""
                UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = ?,
                    attempts = attempts - ?
                WHERE id = ? AND state = 'running'
                """, runAfter, countAttempt ? 0 : 1, job.id)
            try connection.run("UPDATE tasks SET state = 'released', finished_at = ? WHERE job_id = ? AND state IN ('pending', 'running')", now, job.id)
            try recordHistory(job: job.id, from: .running, to: .queued, attempt: job.attempts, reason: reason, at: now)
        }
    }

    /// At start-up: every job still `running` belongs to a daemon that died (the spool lock
    /// guarantees no other daemon is alive). Returns the requeued job ids.
    public func requeueAbandonedJobs(now: Double) throws -> [Int64] {
        try transaction {
            let rows = try connection.fetchAll("SELECT * FROM jobs WHERE state = 'running'")
            for row in rows {
                let job = JobRecord(row)
                try connection.run("""
                    UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = ? WHERE id = ?
                    """, now, job.id)
                try connection.run("UPDATE tasks SET state = 'abandoned', finished_at = ? WHERE job_id = ? AND state IN ('pending', 'running')", now, job.id)
                try recordHistory(job: job.id, from: .running, to: .queued, attempt: job.attempts,
                                  reason: "recovered at start-up: the lease of \(job.leaseOwner ?? "an unknown owner") was abandoned (daemon stopped without finishing)", at: now)
            }
            return rows.compactMap { $0.int64("id") }
        }
    }

    /// Extends the leases of the jobs `owner` is running.
    public func extendLeases(owner: String, leaseSeconds: Double, now: Double) throws {
        try connection.run("UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND state = 'running'", now + leaseSeconds, owner)
    }

    /// Final jobs whose manifests and original have not been delivered yet (after a crash).
    /// Final jobs not yet delivered; `finishedBefore` leaves alone those a worker may be
    /// delivering right now.
    public func undeliveredJobs(finishedBefore: Double = .infinity) throws -> [JobRecord] {
        try connection.fetchAll("""
            SELECT * FROM jobs WHERE delivered_at IS NULL AND finished_at < ? AND state NOT IN ('queued', 'running') ORDER BY id
            """, finishedBefore).map(JobRecord.init)
    }

    public func markDelivered(job: Int64, outputs: [String], now: Double) throws {
        try transaction {
            try connection.run("UPDATE jobs SET delivered_at = ?, outputs = ? WHERE id = ?", now, JSONText.encode(outputs), job)
            try connection.run("""
                INSERT INTO tasks(job_id, attempt, stage, state, progress_done, progress_total, progress_unit, started_at, finished_at)
                SELECT id, attempts, 'deliver', 'succeeded', ?2, ?2, 'files', ?3, ?3 FROM jobs WHERE id = ?1
                """, job, outputs.count, now)
            try appendAudit("job.delivered", job: job, file: nil, detail: ["outputs": outputs.joined(separator: ",")], at: now)
        }
    }

    /// Counts of jobs that are queued or running (the `--once` exit test).
    public func pendingJobCount() throws -> Int {
        let active = try connection.fetchInt("SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state IN ('queued', 'running') LIMIT 1)") ?? 0
        let undelivered = try connection.fetchInt("SELECT count(*) FROM (SELECT 1 FROM jobs WHERE delivered_at IS NULL AND finished_at IS NOT NULL LIMIT 1)") ?? 0
        return Int(active + undelivered)
    }
}
