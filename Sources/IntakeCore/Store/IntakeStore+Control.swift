import SQLiteStore

/// Why an operator's request on a job was refused.
public struct JobControlError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension IntakeStore {
    public func recordResourceUsage(job: Int64, cpuMilliseconds: Int, peakRSSKilobytes: Int) throws {
        try connection.run("UPDATE jobs SET cpu_ms = coalesce(cpu_ms, 0) + ?, peak_rss_kb = max(coalesce(peak_rss_kb, 0), ?) WHERE id = ?",
                           cpuMilliseconds, peakRSSKilobytes, job)
    }

    /// Ends every queued job that requires `job` (directly or through others) as `cancelled`,
    /// with the reason. Returns their ids. Jobs that only wait on it (archive parents) are
    /// left to aggregate.
    public func cancelDependents(of job: Int64, because reason: String, now: Double) throws -> [Int64] {
        try transaction {
            var cancelled: [Int64] = []
            var frontier = [job]
            while let current = frontier.popLast() {
                let rows = try connection.fetchAll("""
                    SELECT j.* FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
                    WHERE d.depends_on = ? AND d.on_failure = 'cancel' AND j.state = 'queued'
                    """, current)
                for row in rows {
                    let dependent = JobRecord(row)
                    var outcome = JobOutcome(state: .cancelled, reason: reason)
                    outcome.errorCode = .dependencyFailed
                    outcome.errorMessage = reason
                    try connection.run("UPDATE jobs SET state = 'running' WHERE id = ?", dependent.id)
                    try finish(job: JobRecord(try connection.fetchOne("SELECT * FROM jobs WHERE id = ?", dependent.id) ?? row),
                               outcome: outcome, fileState: "failed", now: now)
                    cancelled.append(dependent.id)
                    frontier.append(dependent.id)
                }
            }
            return cancelled
        }
    }

    /// A job that `job` requires and that ended without success, if any.
    public func failedRequirement(of job: Int64) throws -> (id: Int64, state: JobState)? {
        guard let row = try connection.fetchOne("""
            SELECT w.id, w.state FROM job_dependencies d JOIN jobs w ON w.id = d.depends_on
            WHERE d.job_id = ? AND d.on_failure = 'cancel' AND w.state IN ('rejected', 'failed', 'cancelled', 'timed_out')
            LIMIT 1
            """, job), let id = row.int64("id"), let state = JobState(rawValue: row.string("state") ?? "") else { return nil }
        return (id, state)
    }

    /// Makes `job` wait for `dependsOn`; refused when it would close a cycle.
    public func addDependency(job: Int64, dependsOn: Int64, onFailure: String = "cancel") throws {
        try transaction {
            guard job != dependsOn else { throw JobControlError(message: "job \(job) cannot depend on itself") }
            if let state = try self.job(id: job)?.state, state != .queued {
                throw JobControlError(message: "job \(job) is \(state.rawValue); only a queued job can be made to wait")
            }
            guard try self.job(id: dependsOn) != nil, try self.job(id: job) != nil else {
                throw JobControlError(message: "no job \(try self.job(id: job) == nil ? job : dependsOn)")
            }
            // A cycle exists if `job` is already reachable from `dependsOn`'s dependencies.
            let reachable = try connection.fetchInt("""
                WITH RECURSIVE upstream(id) AS (
                    SELECT depends_on FROM job_dependencies WHERE job_id = ?1
                    UNION SELECT d.depends_on FROM job_dependencies d JOIN upstream u ON d.job_id = u.id
                )
                SELECT 1 FROM upstream WHERE id = ?2 LIMIT 1
                """, dependsOn, job)
            if reachable != nil {
                throw JobControlError(message: "refused: job \(job) depending on job \(dependsOn) would make a cycle (job \(dependsOn) already waits for job \(job))")
            }
            try connection.run("INSERT OR IGNORE INTO job_dependencies(job_id, depends_on, on_failure) VALUES (?, ?, ?)", job, dependsOn, onFailure)
            try appendAudit("job.dependency_added", job: job, file: nil, detail: ["depends_on": String(dependsOn)], at: epochNow())
        }
    }

    /// `intake jobs cancel`: a queued job ends `cancelled` at once; a running one is flagged
    /// and its daemon stops it at the next check. Returns the state it ends or will end in.
    public func requestCancel(job id: Int64, reason: String, now: Double) throws -> String {
        try transaction {
            guard let job = try self.job(id: id) else { throw JobControlError(message: "no job \(id)") }
            switch job.state {
            case .queued:
                var outcome = JobOutcome(state: .cancelled, reason: "cancelled by an operator\(reason.isEmpty ? "" : ": " + reason)")
                outcome.errorCode = .cancelled
                outcome.errorMessage = outcome.reason
                try connection.run("UPDATE jobs SET state = 'running' WHERE id = ?", id)
                try finish(job: job, outcome: outcome, fileState: "failed", now: now)
                return "cancelled"
            case .running:
                try connection.run("UPDATE jobs SET cancel_requested = ? WHERE id = ?", reason.isEmpty ? "cancel requested" : reason, id)
                try appendAudit("job.cancel_requested", job: id, file: nil, detail: ["reason": reason], at: now)
                return "cancelling"
            default:
                throw JobControlError(message: "job \(id) is already \(job.state.rawValue)")
            }
        }
    }

    /// Running jobs an operator asked to cancel, with the reason.
    public func cancelRequests(among jobs: [Int64]) throws -> [Int64: String] {
        guard !jobs.isEmpty else { return [:] }
        var requests: [Int64: String] = [:]
        for row in try connection.fetchAll("SELECT id, cancel_requested FROM jobs WHERE state = 'running' AND cancel_requested IS NOT NULL") {
            if let id = row.int64("id"), jobs.contains(id) { requests[id] = row.string("cancel_requested") ?? "" }
        }
        return requests
    }

    /// `intake jobs retry`: puts a failed, rejected, cancelled or timed-out job back in the
    /// queue with its original file, forgetting the earlier outcome's errors.
    public func retry(job id: Int64, now: Double) throws {
        try transaction {
            guard let job = try self.job(id: id) else { throw JobControlError(message: "no job \(id)") }
            guard [.failed, .rejected, .cancelled, .timedOut].contains(job.state) else {
                throw JobControlError(message: "job \(id) is \(job.state.rawValue); only failed, rejected, cancelled or timed_out jobs can be retried")
            }
            guard try connection.fetchInt("SELECT count(*) FROM jobs WHERE parent_job_id = ?", id) == 0 else {
                throw JobControlError(message: "job \(id) is an archive with member jobs; drop the archive again to process it anew")
            }
            if let fileID = job.fileID, let file = try self.file(id: fileID) {
                let workRelative = "work/\(id)/\(file.name.replacingOccurrences(of: "/", with: "_"))"
                let target = spool.absolute(workRelative)
                let current = (file.finalPath ?? file.workPath).map(spool.absolute)
                if let current, current != target {
                    guard FileSystem.exists(current) else { throw JobControlError(message: "the original of job \(id) is gone (\(current))") }
                    try FileSystem.makeDirectory(spool.work(job: id))
                    try FileSystem.rename(current, to: target)
                } else if current == nil {
                    throw JobControlError(message: "job \(id) has no original file to retry with")
                }
                try connection.run("UPDATE files SET state = 'claimed', work_path = ?, final_path = NULL, finished_at = NULL WHERE id = ?", workRelative, fileID)
            }
            try connection.run("DELETE FROM row_errors WHERE job_id = ?", id)
            try connection.run("DELETE FROM error_counts WHERE job_id = ?", id)
            try connection.run("""
                UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, finished_at = NULL, delivered_at = NULL,
                    error_code = NULL, error_message = NULL, error_count = 0, rows_read = 0, rows_loaded = 0, rows_rejected = 0,
                    rows_skipped = 0, cancel_requested = NULL, outputs = '[]'
                WHERE id = ?
                """, now, id)
            try recordHistory(job: id, from: job.state, to: .queued, attempt: 0, reason: "retried by an operator", at: now)
        }
    }

    /// The sweeper: running jobs whose lease lapsed and whose owner is not this daemon go
    /// back to the queue (their daemon died or hung).
    public func requeueExpiredLeases(exceptOwnersWithPrefix prefix: String, now: Double) throws -> [Int64] {
        try transaction {
            let rows = try connection.fetchAll("""
                SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at < ? AND lease_owner NOT LIKE ? || '%'
                """, now, prefix)
            for row in rows {
                let job = JobRecord(row)
                try connection.run("UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = ? WHERE id = ?", now, job.id)
                try recordHistory(job: job.id, from: .running, to: .queued, attempt: job.attempts,
                                  reason: "lease of \(job.leaseOwner ?? "?") expired; requeued by the sweeper", at: now)
            }
            return rows.compactMap { $0.int64("id") }
        }
    }

    /// Makes a job that has no input file (billing, statements) and takes it at once for
    /// `owner`, in one transaction, so no daemon can take it in between.
    public func createRunningJob(kind: JobKindName, params: [String: String], settings: KindSettings, maxAttempts: Int,
                                 owner: String, leaseSeconds: Double, now: Double) throws -> JobRecord {
        try transaction {
            guard let row = try connection.fetchOne("""
                INSERT INTO jobs(kind, partner, feed, priority, state, attempts, max_attempts, run_after, created_at, started_at,
                                 lease_owner, lease_expires_at, timeout_seconds, params)
                VALUES (?, 'staff', 'command', ?, 'running', 1, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                """, kind.rawValue, settings.priority, maxAttempts, now, now, now, owner, now + leaseSeconds,
                settings.timeoutSeconds, JSONText.encode(params)) else {
                throw JobControlError(message: "could not create the \(kind.rawValue) job")
            }
            let job = JobRecord(row)
            try recordHistory(job: job.id, from: nil, to: .running, attempt: 1, reason: "run from the command line by \(owner)", at: now)
            return job
        }
    }

    /// Jobs this daemon's workers hold as `running` that no worker is running any more.
    /// `busyOwners`: worker slots running a job right now; a job they own is theirs even when
    /// the supervisor has not heard of it yet (a slot claims its next job as it closes one).
    public func requeueOrphans(ownerPrefix: String, except busy: Set<Int64>, busyOwners: Set<String>, retryAfter: Double, now: Double) throws -> [Int64] {
        let candidates = try connection.fetchAll("SELECT * FROM jobs WHERE state = 'running' AND lease_owner LIKE ? || '%'", ownerPrefix)
            .map(JobRecord.init).filter { !busy.contains($0.id) && !busyOwners.contains($0.leaseOwner ?? "") }
        guard !candidates.isEmpty else { return [] }
        return try transaction {
            for job in candidates {
                try connection.run("UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = ? WHERE id = ? AND state = 'running'",
                                   now + retryAfter, job.id)
                try connection.run("UPDATE tasks SET state = 'abandoned', finished_at = ? WHERE job_id = ? AND state IN ('pending', 'running')", now, job.id)
                try recordHistory(job: job.id, from: .running, to: .queued, attempt: job.attempts,
                                  reason: "attempt \(job.attempts) failed and its worker could not record why (disk full or database error); retry", at: now)
            }
            return candidates.map(\.id)
        }
    }

    /// Queues `count` no-op jobs in one transaction (for the queue benchmark).
    public func enqueueNoopJobs(count: Int, partner: String, now: Double) throws {
        try transaction {
            let insert = try connection.statement("""
                INSERT INTO jobs(kind, partner, feed, priority, state, max_attempts, run_after, created_at) VALUES ('noop', ?, 'bench', 100, 'queued', 1, ?, ?)
                """)
            for _ in 0..<count {
                try insert.bind([partner, now, now])
                try insert.run()
            }
        }
    }

    // MARK: Stats and alerts

    public func recordStat(_ name: String, value: Double, keepMaximum: Bool = false, now: Double) throws {
        try connection.run("""
            INSERT INTO daemon_stats(name, value, updated_at) VALUES (?1, ?2, ?3)
            ON CONFLICT(name) DO UPDATE SET value = CASE WHEN ?4 THEN max(value, excluded.value) ELSE excluded.value END, updated_at = excluded.updated_at
            """, name, value, now, keepMaximum)
    }

    /// `job_finishes` holds one row per second with finishes; status looks back an hour.
    func pruneFinishCounters(before time: Double) throws {
        try connection.run("DELETE FROM job_finishes WHERE second < ?", Int64(time.rounded(.down)))
    }

    public func stats() throws -> [String: Double] {
        var stats: [String: Double] = [:]
        for row in try connection.fetchAll("SELECT name, value FROM daemon_stats") { stats[row.string("name") ?? ""] = row.double("value") ?? 0 }
        return stats
    }

    /// Opens an alert once (an open alert of the same kind and subject is not repeated).
    public func raiseAlert(kind: String, subject: String, message: String, now: Double) throws -> Bool {
        try transaction {
            try connection.run("INSERT OR IGNORE INTO alerts(at, kind, subject, message) VALUES (?, ?, ?, ?)", now, kind, subject, message)
            guard connection.changes > 0 else { return false }
            try appendAudit("alert.\(kind)", job: nil, file: nil, detail: ["subject": subject, "message": message], at: now)
            return true
        }
    }

    public func resolveAlerts(kind: String, subjectPrefix: String, now: Double) throws {
        try connection.run("UPDATE alerts SET resolved_at = ? WHERE kind = ? AND substr(subject, 1, length(?3)) = ?3 AND resolved_at IS NULL",
                           now, kind, subjectPrefix)
    }

    public func resolveAlert(kind: String, subject: String, now: Double) throws {
        try connection.run("UPDATE alerts SET resolved_at = ? WHERE kind = ? AND subject = ? AND resolved_at IS NULL", now, kind, subject)
    }
}
