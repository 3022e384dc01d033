import Foundation
import IntakeCore

/// `intake jobs list`.
struct JobsListCommand: IntakeCommand {
    static let name = "jobs list"
    static let abstract = "list jobs, newest first, with filters"
    static let usage = "intake [--spool DIR] jobs list [--state S] [--partner P] [--kind K] [--since YYYY-MM-DD] [--limit N] [--json]"

    let global: GlobalOptions
    let filter: JobFilter
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        var filter = JobFilter()
        filter.state = try arguments.option("--state")
        if let state = filter.state, JobState(rawValue: state) == nil {
            throw UsageError(message: "--state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        filter.partner = try arguments.option("--partner")
        filter.kind = try arguments.option("--kind")
        if let since = try arguments.option("--since") {
            guard let date = CivilDate(iso: since) else { throw UsageError(message: "--since must be a date YYYY-MM-DD") }
            filter.since = Double(date.dayNumber) * 86_400
        }
        if let limit = try arguments.option("--limit") {
            guard let value = Int(limit), value > 0 else { throw UsageError(message: "--limit must be a positive whole number") }
            filter.limit = value
        }
        self.filter = filter
        json = arguments.flag("--json")
    }

    func run() async throws -> Int32 {
        let jobs = try openExistingStore(global.spool).listJobs(filter)
        if json {
            try printJSON(jobs)
            return 0
        }
        print("id      state                partner              rows   bad  file")
        for job in jobs {
            print("\(pad(job.id, 7)) \(pad(job.state, 20)) \(pad(job.partner, 20)) \(pad(job.rows_loaded, 6)) \(pad(job.rows_rejected, 4)) \(job.file ?? "-")")
        }
        return 0
    }
}

/// `intake jobs show ID`.
struct JobsShowCommand: IntakeCommand {
    static let name = "jobs show"
    static let abstract = "one job: state, counts, history, tasks, errors"
    static let usage = "intake [--spool DIR] jobs show ID [--json]"

    let global: GlobalOptions
    let id: Int64
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        json = arguments.flag("--json")
        guard let word = arguments.positional() else { throw UsageError(message: "jobs show needs a job id") }
        guard let id = Int64(word), id > 0 else { throw UsageError(message: "'\(word)' is not a job id") }
        self.id = id
    }

    func run() async throws -> Int32 {
        guard let detail = try openExistingStore(global.spool).jobDetail(id: id) else {
            throw CommandFailure(message: "no job \(id)")
        }
        if json {
            try printJSON(detail)
            return 0
        }
        let job = detail.job
        print("job \(job.id): \(job.kind) for \(job.partner), file \(job.file ?? "-") (feed \(detail.feed ?? "-"))")
        print("state: \(job.state) after \(job.attempts) attempt(s)\(detail.error_message.map { " - \($0)" } ?? "")")
        print("rows: read \(detail.rows_read), loaded \(job.rows_loaded), rejected \(job.rows_rejected), skipped \(detail.rows_skipped); errors \(detail.error_count)")
        if let sha = detail.sha256 { print("sha256: \(sha)") }
        print("resources: cpu \(detail.cpu_ms.map { "\($0) ms" } ?? "-"), peak RSS of the daemon \(detail.peak_rss_kb.map { "\($0 / 1024) MB" } ?? "-")")
        if !detail.depends_on.isEmpty { print("depends on jobs: \(detail.depends_on.map(String.init).joined(separator: ", "))") }
        print("history:")
        for entry in detail.history { print("  \(entry.at) \(entry.from ?? "-") -> \(entry.to) (attempt \(entry.attempt)): \(entry.reason)") }
        print("tasks:")
        for task in detail.tasks {
            let total = task.progress_total.map { "/\($0)" } ?? ""
            print("  attempt \(task.attempt) \(pad(task.stage, 9)) \(pad(task.state, 10)) \(task.progress_done)\(total) \(task.unit)\(task.error.map { " error: \($0)" } ?? "")")
        }
        if !detail.errors.isEmpty {
            print("errors (first \(detail.errors.count) of \(detail.error_count)):")
            for error in detail.errors { print("  line \(error.line) \(error.field.isEmpty ? "" : error.field + " ")\(error.code.rawValue): \(error.message)") }
        }
        return 0
    }
}

func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
    let text = value.description
    return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
