import SQLiteStore

extension IntakeStore {
    /// Opens the stage tasks of one attempt of a job, all `pending`.
    public func createTasks(job: JobRecord, stages: [Stage], worker: String, now: Double) throws -> [Stage: Int64] {
        var ids: [Stage: Int64] = [:]
        for stage in stages {
            try connection.run("INSERT INTO tasks(job_id, attempt, stage, state, worker_id) VALUES (?, ?, ?, 'pending', ?)",
                               job.id, job.attempts, stage.rawValue, worker)
            ids[stage] = connection.lastInsertRowID
        }
        return ids
    }

    public func startTask(_ id: Int64, total: Int64?, unit: String = "rows", now: Double) throws {
        try connection.run("UPDATE tasks SET state = 'running', started_at = ?, progress_total = ?, progress_unit = ? WHERE id = ?", now, total, unit, id)
    }

    public func updateTaskProgress(_ id: Int64, done: Int64, total: Int64? = nil) throws {
        try connection.run("UPDATE tasks SET progress_done = ?, progress_total = coalesce(?, progress_total) WHERE id = ?", done, total, id)
    }

    /// Ends a task: `succeeded`, `failed`, `skipped` or `released`.
    public func finishTask(_ id: Int64, state: String, done: Int64? = nil, error: String? = nil, now: Double) throws {
        try connection.run("""
            UPDATE tasks SET state = ?, finished_at = ?, progress_done = coalesce(?, progress_done), error = ?,
                started_at = coalesce(started_at, ?)
            WHERE id = ?
            """, state, now, done, error, now, id)
    }

    // MARK: Workers

    /// Registers this daemon's worker slots, replacing rows left by earlier runs of it.
    public func registerWorkers(daemon: String, slots: Int, now: Double) throws {
        try transaction {
            try connection.run("UPDATE workers SET status = 'gone', current_job_id = NULL WHERE status <> 'gone'")
            for slot in 0..<slots {
                try connection.run("""
                    INSERT INTO workers(id, daemon, slot, status, capacity, started_at, last_heartbeat) VALUES (?, ?, ?, 'idle', 1, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET status = 'idle', started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat
                    """, "\(daemon)/\(slot)", daemon, slot, now, now)
            }
        }
    }

    public func setWorker(_ id: String, busyWith job: Int64?, now: Double) throws {
        try connection.run("""
            UPDATE workers SET status = ?, current_job_id = ?, last_heartbeat = ?, jobs_done = jobs_done + ? WHERE id = ?
            """, job == nil ? "idle" : "busy", job, now, job == nil ? 1 : 0, id)
    }

    public func heartbeat(daemon: String, now: Double) throws {
        try connection.run("UPDATE workers SET last_heartbeat = ? WHERE daemon = ? AND status <> 'gone'", now, daemon)
    }

    public func retireWorkers(daemon: String) throws {
        try connection.run("UPDATE workers SET status = 'gone', current_job_id = NULL WHERE daemon = ?", daemon)
    }
}
