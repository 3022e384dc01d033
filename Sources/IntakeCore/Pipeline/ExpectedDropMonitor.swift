import Foundation

/// Where a partner's expected drop stands.
public struct ExpectedDropStatus: Codable, Sendable {
    public var partner: String
    public var pattern: String
    public var cron: String
    /// The latest slot whose grace period is over, and the next one.
    public var due_at: String?
    public var deadline: String?
    public var next_due_at: String?
    /// `received`, `missing`, or `not_due_yet` (no slot has passed its grace period).
    public var state: String
    public var received_file: String?
}

/// Checks expected drops: for the latest slot whose grace period has ended, a file matching the
/// pattern must have arrived since the slot before it; otherwise the drop is missing.
enum ExpectedDropMonitor {
    static func status(config: IntakeConfig, store: IntakeStore, now: Double) throws -> [ExpectedDropStatus] {
        try config.expectedDrops.map { drop in
            guard let cron = try? CronExpression(drop.cron) else {
                return ExpectedDropStatus(partner: drop.partner, pattern: drop.pattern, cron: drop.cron, state: "invalid_cron")
            }
            let grace = drop.graceMinutes * 60
            let next = cron.slots(after: now, upTo: now + 62 * 86_400, limit: 1).first
            guard let slot = cron.latestSlot(atOrBefore: now - grace) else {
                return ExpectedDropStatus(partner: drop.partner, pattern: drop.pattern, cron: drop.cron,
                                          next_due_at: next.map(isoTimestamp), state: "not_due_yet")
            }
            let previous = cron.latestSlot(atOrBefore: slot - 60) ?? (slot - 86_400)
            // Arrived: recorded since the previous slot, or sitting in the inbox right now (being
            // uploaded or settling counts: the partner has delivered).
            let received = try store.connection.fetchAll("""
                SELECT name FROM files WHERE partner = ? AND parent_file_id IS NULL AND discovered_at > ? ORDER BY id
                """, drop.partner, previous).compactMap { $0.string("name") }.first { Glob.matches(drop.pattern, $0) }
                ?? FileSystem.list(store.spool.inbox(partner: drop.partner)).first { !$0.hasPrefix(".") && Glob.matches(drop.pattern, $0) }
            return ExpectedDropStatus(partner: drop.partner, pattern: drop.pattern, cron: drop.cron,
                                      due_at: isoTimestamp(slot), deadline: isoTimestamp(slot + grace), next_due_at: next.map(isoTimestamp),
                                      state: received == nil ? "missing" : "received", received_file: received)
        }
    }
}
