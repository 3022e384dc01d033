/// The coordinator's gauges (`workers_active`, `peak_running`, `disk_free_bytes`) for
/// `intake status`, written only when they change, all in one commit: an idle daemon polling
/// every 100 ms must not fsync the database ten times a second to say nothing new.
struct StatsWriter {
    private var written: [String: Double] = [:]
    private var pending: [String: (value: Double, keepMaximum: Bool)] = [:]
    private var lastWrite: [String: Double] = [:]
    private var coarseSeconds: [String: Double] = [:]

    /// `coarse`: a value that moves all the time (free disk space) is rewritten at most this
    /// often, in seconds.
    mutating func set(_ name: String, _ value: Double, coarse: Double = 0) {
        guard written[name] != value else { return }
        pending[name] = (value, false)
        coarseSeconds[name] = coarse
    }

    /// A high-water mark: only a new maximum is written.
    mutating func raise(_ name: String, _ value: Double) {
        guard value > (written[name] ?? -.infinity) else { return }
        pending[name] = (value, true)
    }

    mutating func flush(to store: IntakeStore, now: Double) throws {
        let due = pending.filter { name, _ in now - (lastWrite[name] ?? -.infinity) >= (coarseSeconds[name] ?? 0) }
        guard !due.isEmpty else { return }
        try store.transaction {
            for (name, entry) in due.sorted(by: { $0.key < $1.key }) {
                try store.recordStat(name, value: entry.value, keepMaximum: entry.keepMaximum, now: now)
            }
        }
        for (name, entry) in due {
            written[name] = entry.value
            lastWrite[name] = now
            pending[name] = nil
        }
    }
}
