import SQLiteStore

/// What `intake status` shows.
public struct StatusReport: Codable, Sendable {
    public struct PartnerCount: Codable, Sendable { public var partner: String; public var state: String; public var count: Int }
    public struct RecentFailure: Codable, Sendable {
        public var job_id: Int64; public var partner: String; public var file: String?; public var state: String
        public var error_code: String?; public var message: String?; public var finished_at: String?
    }
    public struct Worker: Codable, Sendable {
        public var id: String; public var status: String; public var current_job_id: Int64?; public var last_heartbeat: String; public var jobs_done: Int
    }
    public struct Window: Codable, Sendable {
        public var finished: Int
        public var failed: Int
        public var rows_loaded: Int
        public var jobs_per_hour: Double
        public var error_rate: Double
    }
    public struct RunningJob: Codable, Sendable {
        public var id: Int64; public var kind: String; public var partner: String; public var file: String?
        public var started_at: String?; public var stage: String?; public var progress_done: Int64?; public var progress_total: Int64?
    }
    public struct Alert: Codable, Sendable { public var at: String; public var kind: String; public var subject: String; public var message: String }
    public var generated_at: String
    public var jobs_by_state: [String: Int]
    public var jobs_by_partner: [PartnerCount]
    public var running: [RunningJob]
    public var last_5_minutes: Window
    public var last_hour: Window
    public var recent_failures: [RecentFailure]
    public var workers: [Worker]
    public var oldest_queued_at: String?
    public var oldest_queued_age_seconds: Double?
    public var peak_running: Int
    public var workers_active: Int
    public var disk_free_bytes: Int64?
    public var open_alerts: [Alert]
    public var expected_drops: [ExpectedDropStatus]
}

/// One line of `intake jobs list`.
public struct JobSummary: Codable, Sendable {
    public var id: Int64
    public var kind: String
    public var partner: String
    public var file: String?
    public var state: String
    public var attempts: Int
    public var rows_loaded: Int
    public var rows_rejected: Int
    public var created_at: String
    public var finished_at: String?
    public var error_code: String?
}

/// Everything `intake jobs show` shows.
public struct JobDetail: Codable, Sendable {
    public struct HistoryEntry: Codable, Sendable { public var at: String; public var from: String?; public var to: String; public var attempt: Int; public var reason: String }
    public struct TaskEntry: Codable, Sendable {
        public var stage: String; public var attempt: Int; public var state: String; public var worker: String?
        public var progress_done: Int64; public var progress_total: Int64?; public var unit: String
        public var started_at: String?; public var finished_at: String?; public var error: String?
    }
    public var job: JobSummary
    public var feed: String?
    public var file_id: Int64?
    public var sha256: String?
    public var rows_read: Int
    public var rows_skipped: Int
    public var error_count: Int
    public var error_message: String?
    public var outputs: String
    public var history: [HistoryEntry]
    public var tasks: [TaskEntry]
    public var errors: [RowError]
    public var errors_by_code: [String: Int]
    public var cpu_ms: Int?
    public var peak_rss_kb: Int?
    public var depends_on: [Int64]
    public var parent_job_id: Int64?
}

/// Filters for `intake jobs list`.
public struct JobFilter: Sendable {
    public var state: String?
    public var partner: String?
    public var kind: String?
    public var since: Double?
    public var limit = 50
    public init() {}
}

extension IntakeStore {
    public func statusReport(config: IntakeConfig, now: Double = epochNow()) throws -> StatusReport {
        var byState: [String: Int] = [:]
        // Counts come from `job_counts` and `job_finishes` (kept by triggers, migration 7), so
        // status costs the same with a million jobs as with ten.
        for row in try connection.fetchAll("SELECT state, sum(n) AS n FROM job_counts GROUP BY state HAVING sum(n) > 0") {
            byState[row.string("state") ?? ""] = row.int("n") ?? 0
        }
        func window(_ seconds: Double) throws -> StatusReport.Window {
            let row = try connection.fetchOne("""
                SELECT coalesce(sum(finished), 0) AS finished, coalesce(sum(failed), 0) AS failed,
                       coalesce(sum(rows_loaded), 0) AS rows FROM job_finishes WHERE second >= ?
                """, Int64((now - seconds).rounded(.down)))
            let finished = row?.int("finished") ?? 0
            let failed = row?.int("failed") ?? 0
            return StatusReport.Window(finished: finished, failed: failed, rows_loaded: row?.int("rows") ?? 0,
                                       jobs_per_hour: Double(finished) * 3600 / seconds, error_rate: finished == 0 ? 0 : Double(failed) / Double(finished))
        }
        let byPartner = try connection.fetchAll("SELECT partner, state, n FROM job_counts WHERE n > 0 ORDER BY partner, state").map {
            StatusReport.PartnerCount(partner: $0.string("partner") ?? "", state: $0.string("state") ?? "", count: $0.int("n") ?? 0)
        }
        // `+j.id`: without it the planner walks the whole table in id order to skip a sort of
        // the few running jobs (a full scan with a million jobs).
        let running = try connection.fetchAll("""
            SELECT j.id, j.kind, j.partner, j.started_at, f.name AS file_name,
                   (SELECT stage FROM tasks t WHERE t.job_id = j.id AND t.state = 'running' ORDER BY t.id DESC LIMIT 1) AS stage,
                   (SELECT progress_done FROM tasks t WHERE t.job_id = j.id AND t.state = 'running' ORDER BY t.id DESC LIMIT 1) AS done,
                   (SELECT progress_total FROM tasks t WHERE t.job_id = j.id AND t.state = 'running' ORDER BY t.id DESC LIMIT 1) AS total
            FROM jobs j LEFT JOIN files f ON f.id = j.file_id WHERE j.state = 'running' ORDER BY +j.id
            """).map {
            StatusReport.RunningJob(id: $0.int64("id") ?? 0, kind: $0.string("kind") ?? "", partner: $0.string("partner") ?? "", file: $0.string("file_name"),
                                    started_at: $0.double("started_at").map(isoTimestamp), stage: $0.string("stage"),
                                    progress_done: $0.int64("done"), progress_total: $0.int64("total"))
        }
        let failures = try connection.fetchAll("""
            SELECT j.id, j.partner, f.name, j.state, j.error_code, j.error_message, j.finished_at FROM jobs j LEFT JOIN files f ON f.id = j.file_id
            WHERE j.state IN ('rejected', 'failed', 'timed_out', 'cancelled') ORDER BY j.finished_at DESC LIMIT 10
            """).map {
            StatusReport.RecentFailure(job_id: $0.int64("id") ?? 0, partner: $0.string("partner") ?? "", file: $0.string("name"), state: $0.string("state") ?? "",
                                       error_code: $0.string("error_code"), message: $0.string("error_message"), finished_at: $0.double("finished_at").map(isoTimestamp))
        }
        let workers = try connection.fetchAll("SELECT * FROM workers WHERE status <> 'gone' ORDER BY id").map {
            StatusReport.Worker(id: $0.string("id") ?? "", status: $0.string("status") ?? "", current_job_id: $0.int64("current_job_id"),
                                last_heartbeat: isoTimestamp($0.double("last_heartbeat") ?? 0), jobs_done: $0.int("jobs_done") ?? 0)
        }
        let oldest = try connection.fetchOne("SELECT min(created_at) AS t FROM jobs WHERE state = 'queued'")?.double("t")
        let stats = try self.stats()
        let alerts = try connection.fetchAll("SELECT * FROM alerts WHERE resolved_at IS NULL ORDER BY id DESC LIMIT 50").map {
            StatusReport.Alert(at: isoTimestamp($0.double("at") ?? 0), kind: $0.string("kind") ?? "", subject: $0.string("subject") ?? "", message: $0.string("message") ?? "")
        }
        return StatusReport(generated_at: isoTimestamp(now), jobs_by_state: byState, jobs_by_partner: byPartner, running: running,
                            last_5_minutes: try window(300), last_hour: try window(3600), recent_failures: failures,
                            workers: workers, oldest_queued_at: oldest.map(isoTimestamp), oldest_queued_age_seconds: oldest.map { now - $0 },
                            peak_running: Int(stats["peak_running"] ?? 0), workers_active: Int(stats["workers_active"] ?? 0),
                            disk_free_bytes: stats["disk_free_bytes"].map { Int64($0) }, open_alerts: alerts,
                            expected_drops: try ExpectedDropMonitor.status(config: config, store: self, now: now))
    }

    public func listJobs(_ filter: JobFilter) throws -> [JobSummary] {
        var clauses: [String] = []
        var arguments: [any SQLiteBindable] = []
        if let state = filter.state { clauses.append("j.state = ?"); arguments.append(state) }
        if let partner = filter.partner { clauses.append("j.partner = ?"); arguments.append(partner) }
        if let kind = filter.kind { clauses.append("j.kind = ?"); arguments.append(kind) }
        if let since = filter.since { clauses.append("j.created_at >= ?"); arguments.append(since) }
        arguments.append(filter.limit)
        let sql = """
            SELECT j.*, f.name AS file_name FROM jobs j LEFT JOIN files f ON f.id = j.file_id
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")) ORDER BY j.id DESC LIMIT ?
            """
        return try connection.fetchAll(sql, arguments: arguments).map(JobSummary.init)
    }

    public func jobDetail(id: Int64) throws -> JobDetail? {
        guard let row = try connection.fetchOne("SELECT j.*, f.name AS file_name, f.sha256 FROM jobs j LEFT JOIN files f ON f.id = j.file_id WHERE j.id = ?", id) else { return nil }
        let history = try connection.fetchAll("SELECT * FROM job_history WHERE job_id = ? ORDER BY id", id).map {
            JobDetail.HistoryEntry(at: isoTimestamp($0.double("at") ?? 0), from: $0.string("from_state"), to: $0.string("to_state") ?? "",
                                   attempt: $0.int("attempt") ?? 0, reason: $0.string("reason") ?? "")
        }
        let tasks = try connection.fetchAll("SELECT * FROM tasks WHERE job_id = ? ORDER BY attempt, id", id).map {
            JobDetail.TaskEntry(stage: $0.string("stage") ?? "", attempt: $0.int("attempt") ?? 0, state: $0.string("state") ?? "", worker: $0.string("worker_id"),
                                progress_done: $0.int64("progress_done") ?? 0, progress_total: $0.int64("progress_total"), unit: $0.string("progress_unit") ?? "rows",
                                started_at: $0.double("started_at").map(isoTimestamp), finished_at: $0.double("finished_at").map(isoTimestamp), error: $0.string("error"))
        }
        return JobDetail(job: JobSummary(row), feed: row.string("feed"), file_id: row.int64("file_id"), sha256: row.string("sha256"),
                         rows_read: row.int("rows_read") ?? 0, rows_skipped: row.int("rows_skipped") ?? 0, error_count: row.int("error_count") ?? 0,
                         error_message: row.string("error_message"), outputs: row.string("outputs") ?? "[]", history: history, tasks: tasks,
                         errors: try rowErrors(job: id, limit: 100), errors_by_code: try errorCounts(job: id),
                         cpu_ms: row.int("cpu_ms"), peak_rss_kb: row.int("peak_rss_kb"),
                         depends_on: try connection.fetchAll("SELECT depends_on FROM job_dependencies WHERE job_id = ? ORDER BY depends_on", id).compactMap { $0.int64("depends_on") },
                         parent_job_id: row.int64("parent_job_id"))
    }
}

extension JobSummary {
    init(_ row: Row) {
        self.init(id: row.int64("id") ?? 0, kind: row.string("kind") ?? "", partner: row.string("partner") ?? "", file: row.string("file_name"),
                  state: row.string("state") ?? "", attempts: row.int("attempts") ?? 0, rows_loaded: row.int("rows_loaded") ?? 0,
                  rows_rejected: row.int("rows_rejected") ?? 0, created_at: isoTimestamp(row.double("created_at") ?? 0),
                  finished_at: row.double("finished_at").map(isoTimestamp), error_code: row.string("error_code"))
    }
}
