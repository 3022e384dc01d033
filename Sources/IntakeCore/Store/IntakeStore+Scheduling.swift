import SQLiteStore

extension IntakeStore {
    /// The readiness test shared by every claim: queued, due, and no unfinished dependency.
    static let readyCondition = """
        state = 'queued' AND run_after <= ?now
        AND (file_id IS NULL OR (SELECT f.state FROM files f WHERE f.id = jobs.file_id) <> 'claiming')
        AND NOT EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs w ON w.id = d.depends_on
                        WHERE d.job_id = jobs.id AND w.state IN ('queued', 'running'))
        """

    /// Takes the next runnable job for `owner`, fairly: the highest priority first; within it,
    /// partners take turns (the one served longest ago goes next), so one partner's backlog
    /// never starves another's file; within a partner, oldest first. The claim itself is one
    /// `UPDATE ... RETURNING`, so two workers can never take the same job.
    ///
    /// `partnerLimit` caps how many jobs of one partner run at once.
    public func claimNextJob(owner: String, leaseSeconds: Double, now: Double, partnerLimit: (String) -> Int? = { _ in nil }) throws -> JobRecord? {
        try transaction {
            // Highest priority first; a priority whose partners are all at their limit lets the
            // next one through. Every lookup walks the `jobs_fair` index (skip-scans with
            // max/min), so a claim costs the same with ten queued jobs or a million.
            var priority = try connection.fetchInt("SELECT max(priority) FROM jobs WHERE state = 'queued'")
            while let current = priority {
                var partners: [String] = []
                var next = try connection.fetchOne("SELECT min(partner) AS p FROM jobs WHERE state = 'queued' AND priority = ?", current)?.string("p")
                while let partner = next {
                    partners.append(partner)
                    next = try connection.fetchOne("SELECT min(partner) AS p FROM jobs WHERE state = 'queued' AND priority = ? AND partner > ?", current, partner)?.string("p")
                }
                var turns: [String: Int64] = [:]
                for row in try connection.fetchAll("SELECT partner, last_served FROM partner_turns") {
                    turns[row.string("partner") ?? ""] = row.int64("last_served") ?? 0
                }
                partners.sort { (turns[$0] ?? 0, $0) < (turns[$1] ?? 0, $1) }
                for partner in partners {
                    if let limit = partnerLimit(partner),
                       try connection.fetchInt("SELECT count(*) FROM jobs WHERE partner = ? AND state = 'running'", partner) ?? 0 >= Int64(limit) {
                        continue
                    }
                    guard let row = try connection.fetchOne("""
                        UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2,
                            attempts = attempts + 1, started_at = coalesce(started_at, ?3)
                        WHERE id = (SELECT id FROM jobs WHERE \(Self.readyCondition.replacingOccurrences(of: "?now", with: "?3"))
                                      AND partner = ?4 AND priority = ?5
                                    ORDER BY run_after, id LIMIT 1)
                        RETURNING *
                        """, owner, now + leaseSeconds, now, partner, current) else { continue }
                    let job = JobRecord(row)
                    try connection.run("""
                        INSERT INTO partner_turns(partner, last_served) VALUES (?1, (SELECT coalesce(max(last_served), 0) + 1 FROM partner_turns))
                        ON CONFLICT(partner) DO UPDATE SET last_served = excluded.last_served
                        """, partner)
                    try recordHistory(job: job.id, from: .queued, to: .running, attempt: job.attempts, reason: "claimed by \(owner)", at: now)
                    try setWorker(owner, busyWith: job.id, now: now)
                    return job
                }
                priority = try connection.fetchInt("SELECT max(priority) FROM jobs WHERE state = 'queued' AND priority < ?", current)
            }
            return nil
        }
    }
}
