import Foundation
import IntakeCore

/// `intake status`: what is queued, running, and what failed recently.
struct StatusCommand: IntakeCommand {
    static let name = "status"
    static let abstract = "job counts by state and partner, running jobs, recent failures, workers"
    static let usage = "intake [--spool DIR] status [--json]"

    let global: GlobalOptions
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        json = arguments.flag("--json")
    }

    func run() async throws -> Int32 {
        let store = try openExistingStore(global.spool)
        let report = try store.statusReport(config: try global.loadConfig())
        if json {
            try printJSON(report)
            return 0
        }
        print("jobs by state:")
        if report.jobs_by_state.isEmpty { print("  (no jobs yet)") }
        for (state, count) in report.jobs_by_state.sorted(by: { $0.key < $1.key }) {
            print("  \(state.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
        }
        if let oldest = report.oldest_queued_at { print("oldest queued job: \(oldest) (\(Int(report.oldest_queued_age_seconds ?? 0)) s ago)") }
        for (label, window) in [("last 5 minutes", report.last_5_minutes), ("last hour", report.last_hour)] {
            print("\(label): \(window.finished) finished (\(Int(window.jobs_per_hour)) jobs/h), \(window.failed) failed or rejected (error rate \(Int(window.error_rate * 100))%), \(window.rows_loaded) rows loaded")
        }
        print("workers active: \(report.workers_active), peak running: \(report.peak_running)")
        if !report.running.isEmpty {
            print("running:")
            for job in report.running {
                let progress = job.progress_done.map { done in "\(done)\(job.progress_total.map { "/\($0)" } ?? "")" } ?? "-"
                print("  job \(job.id) \(job.kind) \(job.partner) \(job.file ?? "-") stage=\(job.stage ?? "-") progress=\(progress)")
            }
        }
        if !report.expected_drops.isEmpty {
            print("expected drops:")
            for drop in report.expected_drops {
                print("  \(drop.partner) \(drop.pattern) (\(drop.cron)): \(drop.state)\(drop.due_at.map { " for \($0)" } ?? "")\(drop.received_file.map { " - \($0)" } ?? "")")
            }
        }
        if !report.open_alerts.isEmpty {
            print("open alerts:")
            for alert in report.open_alerts { print("  \(alert.at) \(alert.kind) \(alert.subject): \(alert.message)") }
        }
        if !report.recent_failures.isEmpty {
            print("recent failures:")
            for failure in report.recent_failures {
                print("  job \(failure.job_id) \(failure.partner) \(failure.file ?? "-") \(failure.state) \(failure.error_code ?? ""): \(failure.message ?? "")")
            }
        }
        if !report.workers.isEmpty {
            print("workers:")
            for worker in report.workers { print("  \(worker.id) \(worker.status) job=\(worker.current_job_id.map(String.init) ?? "-") heartbeat=\(worker.last_heartbeat)") }
        }
        return 0
    }
}

/// Opens the spool's database for a read-only command, with a clear error if there is none.
func openExistingStore(_ spool: Spool) throws -> IntakeStore {
    guard FileManager.default.fileExists(atPath: spool.databasePath) else {
        throw CommandFailure(message: "no database at \(spool.databasePath); run 'intake init' or 'intake run' first, or pass --spool")
    }
    // Read-only: a status query never waits for the daemon's write lock.
    return try IntakeStore(spool: spool, readOnly: true)
}
