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
            // next one through.
            let priorities = try connection.fetchAll("""
                SELECT DISTINCT priority FROM jobs WHERE \(Self.readyCondition.replacingOccurrences(of: "?now", with: "?1"))
                ORDER BY priority DESC
                """, now).compactMap { $0.int("priority") }
            for priority in priorities {
            let partners = try connection.fetchAll("""
                SELECT q.partner FROM (SELECT DISTINCT partner FROM jobs WHERE state = 'queued' AND priority = ?1 AND run_after <= ?2) q
                LEFT JOIN partner_turns t ON t.partner = q.partner
                ORDER BY coalesce(t.last_served, 0), q.partner
                """, priority, now).compactMap { $0.string("partner") }
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
                    """, owner, now + leaseSeconds, now, partner, priority) else { continue }
                let job = JobRecord(row)
                try connection.run("""
                    INSERT INTO partner_turns(partner, last_served) VALUES (?1, (SELECT coalesce(max(last_served), 0) + 1 FROM partner_turns))
                    ON CONFLICT(partner) DO UPDATE SET last_served = excluded.last_served
                    """, partner)
                try recordHistory(job: job.id, from: .queued, to: .running, attempt: job.attempts, reason: "claimed by \(owner)", at: now)
                return job
            }
            }
            return nil
        }
    }
}
