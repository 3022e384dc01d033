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
    public var jobs_by_state: [String: Int]
    public var jobs_by_partner: [PartnerCount]
    public var running: [JobSummary]
    public var recent_failures: [RecentFailure]
    public var workers: [Worker]
    public var oldest_queued_at: String?
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
    public func statusReport(now: Double = epochNow()) throws -> StatusReport {
        var byState: [String: Int] = [:]
        for row in try connection.fetchAll("SELECT state, count(*) AS n FROM jobs GROUP BY state") {
            byState[row.string("state") ?? ""] = row.int("n") ?? 0
        }
        let byPartner = try connection.fetchAll("SELECT partner, state, count(*) AS n FROM jobs GROUP BY partner, state ORDER BY partner, state").map {
            StatusReport.PartnerCount(partner: $0.string("partner") ?? "", state: $0.string("state") ?? "", count: $0.int("n") ?? 0)
        }
        let running = try listJobs({ var filter = JobFilter(); filter.state = "running"; return filter }())
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
        return StatusReport(jobs_by_state: byState, jobs_by_partner: byPartner, running: running, recent_failures: failures,
                            workers: workers, oldest_queued_at: oldest.map(isoTimestamp))
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
                         errors: try rowErrors(job: id, limit: 100), errors_by_code: try errorCounts(job: id))
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
