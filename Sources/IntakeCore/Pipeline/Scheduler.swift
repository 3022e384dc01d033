import Foundation

/// Starts the configured scheduled jobs. Each slot runs once, even across restarts: a slot is
/// a row in `schedule_runs` (its key refuses a second one), and how far the clock was checked
/// is kept in the database, so slots missed while the daemon was stopped are caught up with the
/// schedule's policy (`latest`: only the newest, `all`: every one).
final class Scheduler {
    private let store: IntakeStore
    private let config: IntakeConfig
    private let log: Log
    private var checkedUntil: [String: Double] = [:]

    init(store: IntakeStore, config: IntakeConfig, log: Log) {
        self.store = store
        self.config = config
        self.log = log
    }

    static func statName(_ schedule: Schedule) -> String { "schedule:\(schedule.name):checked_until" }

    /// Starts the jobs of every slot due since the last check; returns their ids.
    func startDueJobs(now: Double) throws -> [Int64] {
        var started: [Int64] = []
        let stats = checkedUntil.count == config.schedules.count ? [:] : try store.stats()
        for schedule in config.schedules {
            guard let cron = try? CronExpression(schedule.cron) else { continue }
            // First sight of a schedule: from now on (nothing to catch up).
            let from = checkedUntil[schedule.name] ?? stats[Self.statName(schedule)] ?? now
            guard now - from >= 1 || checkedUntil[schedule.name] == nil else { continue }
            var due = cron.slots(after: from, upTo: now, limit: 10_000)
            if schedule.catchUp == .latest, let last = due.last { due = [last] }
            for slot in due {
                if let job = try store.startScheduledJob(schedule, slot: slot, settings: config.settings(for: schedule.kind),
                                                        maxAttempts: config.maxAttempts(for: schedule.kind), now: now) {
                    started.append(job)
                    log.info("scheduled job started", ["schedule": schedule.name, "slot": isoTimestamp(slot), "job": "\(job)"])
                }
            }
            checkedUntil[schedule.name] = now
            try store.recordStat(Self.statName(schedule), value: now, now: now)
        }
        return started
    }
}

extension IntakeStore {
    /// Records the slot and its job; `nil` when the slot already ran.
    func startScheduledJob(_ schedule: Schedule, slot: Double, settings: KindSettings, maxAttempts: Int, now: Double) throws -> Int64? {
        try transaction {
            try connection.run("INSERT OR IGNORE INTO schedule_runs(schedule, slot, started_at) VALUES (?, ?, ?)", schedule.name, slot, now)
            guard connection.changes > 0 else { return nil }
            var params = schedule.params
            params["schedule"] = schedule.name
            params["slot"] = isoTimestamp(slot)
            // Billing and statements work on a month: the slot's own ("current"), or the one
            // before it ("previous", the usual choice for a run on the 1st).
            if schedule.kind == .rentalBilling || schedule.kind == .statements {
                let components = Calendar.utc.dateComponents([.year, .month], from: Date(timeIntervalSince1970: slot))
                var year = components.year ?? 1970, month = components.month ?? 1
                if params["month"] == nil || params["month"] == "previous" {
                    month -= 1
                    if month == 0 { month = 12; year -= 1 }
                }
                if params["month"] == nil || params["month"] == "previous" || params["month"] == "current" {
                    params["month"] = String(format: "%04d-%02d", year, month)
                }
            }
            try connection.run("""
                INSERT INTO jobs(kind, partner, feed, priority, state, max_attempts, run_after, created_at, timeout_seconds, params)
                VALUES (?, 'staff', ?, ?, 'queued', ?, ?, ?, ?, ?)
                """, schedule.kind.rawValue, "schedule:\(schedule.name)", settings.priority, maxAttempts, now, now,
                settings.timeoutSeconds, JSONText.encode(params))
            let job = connection.lastInsertRowID
            try connection.run("UPDATE schedule_runs SET job_id = ? WHERE schedule = ? AND slot = ?", job, schedule.name, slot)
            try recordHistory(job: job, from: nil, to: .queued, attempt: 0, reason: "schedule \(schedule.name), slot \(isoTimestamp(slot))", at: now)
            return job
        }
    }
}
