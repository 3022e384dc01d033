import SQLiteStore

/// A file as recorded, with the job that processes it.
public struct FileRecord: Sendable {
    public let id: Int64
    public let partner: String
    public let name: String
    public let inboxPath: String
    public let workPath: String?
    public let finalPath: String?
    public let size: Int64
    public let sha256: String?
    public let state: String
    public let jobID: Int64?
    public let duplicateOf: Int64?
    public let discoveredAt: Double
    public let claimedAt: Double?
    public let finishedAt: Double?
    /// The archive this file was extracted from.
    public let parentFileID: Int64?
    /// Its path inside that archive.
    public let memberPath: String?

    init(_ row: Row) {
        id = row.int64("id") ?? 0
        partner = row.string("partner") ?? ""
        name = row.string("name") ?? ""
        inboxPath = row.string("inbox_path") ?? ""
        workPath = row.string("work_path")
        finalPath = row.string("final_path")
        size = row.int64("size") ?? 0
        sha256 = row.string("sha256")
        state = row.string("state") ?? ""
        jobID = row.int64("job_id")
        duplicateOf = row.int64("duplicate_of")
        discoveredAt = row.double("discovered_at") ?? 0
        claimedAt = row.double("claimed_at")
        finishedAt = row.double("finished_at")
        parentFileID = row.int64("parent_file_id")
        memberPath = row.string("member_path")
    }
}

extension IntakeStore {
    /// Step one of a claim: records the file and its queued job in one transaction, before the
    /// file is moved. Returns the ids; the caller then renames the file into `work/<job>/`.
    public func recordDiscoveredFile(partner: String, name: String, inboxPath: String, size: Int64, feed: FeedRule, settings: KindSettings,
                                     maxAttempts: Int, firstSeen: Double, now: Double, dependsOn: [Int64] = []) throws -> (file: Int64, job: Int64, workPath: String) {
        try transaction {
            for dependency in dependsOn where try job(id: dependency) == nil {
                throw JobControlError(message: "no job \(dependency) to depend on")
            }
            try connection.run("""
                INSERT INTO files(partner, name, inbox_path, size, state, discovered_at, claimed_at)
                VALUES (?, ?, ?, ?, 'claiming', ?, ?)
                """, partner, name, inboxPath, size, firstSeen, now)
            let fileID = connection.lastInsertRowID
            try connection.run("""
                INSERT INTO jobs(kind, partner, file_id, feed, priority, state, max_attempts, run_after, created_at, timeout_seconds)
                VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                """, feed.kind.rawValue, partner, fileID, feed.name, feed.priority ?? settings.priority, maxAttempts, now, now, settings.timeoutSeconds)
            let jobID = connection.lastInsertRowID
            let workPath = "work/\(jobID)/\(name)"
            try connection.run("UPDATE files SET job_id = ?, work_path = ? WHERE id = ?", jobID, workPath, fileID)
            for dependency in dependsOn {
                try connection.run("INSERT INTO job_dependencies(job_id, depends_on, on_failure) VALUES (?, ?, 'cancel')", jobID, dependency)
            }
            try appendAudit("file.claimed", job: jobID, file: fileID, detail: ["partner": partner, "name": name, "size": String(size), "feed": feed.name], at: now)
            try recordHistory(job: jobID, from: nil, to: .queued, attempt: 0, reason: "claimed \(inboxPath) (feed \(feed.name))", at: now)
            return (fileID, jobID, workPath)
        }
    }

    /// Files of `partner` claimed in the hour before `now` (for `files_per_hour`).
    public func filesClaimedInLastHour(partner: String, now: Double) throws -> Int {
        Int(try connection.fetchInt("SELECT count(*) FROM files WHERE partner = ? AND parent_file_id IS NULL AND claimed_at > ?", partner, now - 3600) ?? 0)
    }

    /// Step two of a claim: the rename into `work/` happened.
    public func markFileClaimed(_ fileID: Int64) throws {
        try connection.run("UPDATE files SET state = 'claimed' WHERE id = ? AND state = 'claiming'", fileID)
    }

    public func file(id: Int64) throws -> FileRecord? {
        try connection.fetchOne("SELECT * FROM files WHERE id = ?", id).map(FileRecord.init)
    }

    public func files(inState state: String) throws -> [FileRecord] {
        try connection.fetchAll("SELECT * FROM files WHERE state = ? ORDER BY id", state).map(FileRecord.init)
    }

    /// Records the content hash once the job has read the file.
    public func setHash(fileID: Int64, sha256: String, size: Int64) throws {
        try connection.run("UPDATE files SET sha256 = ?, size = ?, state = 'processing' WHERE id = ?", sha256, size, fileID)
    }

    /// The earlier accepted file of the same partner with the same content, if any.
    public func acceptedFile(partner: String, sha256: String, before fileID: Int64) throws -> FileRecord? {
        try connection.fetchOne("""
            SELECT * FROM files WHERE partner = ? AND sha256 = ? AND id <> ? AND state = 'done'
            ORDER BY id LIMIT 1
            """, partner, sha256, fileID).map(FileRecord.init)
    }

    /// Another file with the same content whose hash was recorded first and that is still
    /// being processed (wait for it). Call in the transaction that records this file's hash.
    public func inFlightFile(partner: String, sha256: String, other fileID: Int64) throws -> FileRecord? {
        try connection.fetchOne("""
            SELECT * FROM files WHERE partner = ? AND sha256 = ? AND id <> ? AND state IN ('claiming', 'claimed', 'processing')
            ORDER BY id LIMIT 1
            """, partner, sha256, fileID).map(FileRecord.init)
    }

    /// A file that waits for its twin gives up its recorded hash, so the twin never waits for it.
    public func clearHash(fileID: Int64) throws {
        try connection.run("UPDATE files SET sha256 = NULL, state = 'claimed' WHERE id = ?", fileID)
    }

    /// Records where the original ended up, once it has been moved there.
    public func setFinalPath(fileID: Int64, finalPath: String?) throws {
        try connection.run("UPDATE files SET final_path = ?, work_path = NULL WHERE id = ?", finalPath, fileID)
    }
}

extension IntakeStore {
    /// Records an archive member as a claimed file with its own queued child job, which the
    /// parent job depends on. Returns the child's ids and its work path (relative).
    public func recordArchiveMember(parentJob: JobRecord, parentFile: FileRecord, memberPath: String, size: Int64,
                                    feed: FeedRule, maxAttempts: Int, now: Double) throws -> (file: Int64, job: Int64, workPath: String) {
        let flatName = memberPath.replacingOccurrences(of: "/", with: "_")
        let name = "\(parentFile.name)!\(flatName)"
        try connection.run("""
            INSERT INTO files(partner, name, inbox_path, size, state, discovered_at, claimed_at, parent_file_id, member_path)
            VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?)
            """, parentFile.partner, name, "\(parentFile.inboxPath)!\(memberPath)", size, now, now, parentFile.id, memberPath)
        let fileID = connection.lastInsertRowID
        try connection.run("""
            INSERT INTO jobs(kind, partner, file_id, feed, priority, state, max_attempts, run_after, created_at, parent_job_id)
            VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
            """, feed.kind.rawValue, parentFile.partner, fileID, feed.name, feed.priority ?? parentJob.priority, maxAttempts, now, now, parentJob.id)
        let jobID = connection.lastInsertRowID
        let workPath = "work/\(jobID)/\(flatName)"
        try connection.run("UPDATE files SET job_id = ?, work_path = ? WHERE id = ?", jobID, workPath, fileID)
        try connection.run("INSERT INTO job_dependencies(job_id, depends_on, on_failure) VALUES (?, ?, 'wait')", parentJob.id, jobID)
        try recordHistory(job: jobID, from: nil, to: .queued, attempt: 0, reason: "member \(memberPath) of \(parentFile.name) (job \(parentJob.id), feed \(feed.name))", at: now)
        return (fileID, jobID, workPath)
    }

    /// The jobs made for the members of `parentJob`'s archive, with their files.
    public func childJobs(of parentJob: Int64) throws -> [(job: JobRecord, file: FileRecord?)] {
        try connection.fetchAll("SELECT * FROM jobs WHERE parent_job_id = ? ORDER BY id", parentJob).map { row in
            let job = JobRecord(row)
            return (job, try job.fileID.flatMap { try file(id: $0) })
        }
    }

    /// How deep in nested archives this job's file sits (0 for a file dropped by a partner).
    public func archiveDepth(of job: JobRecord) throws -> Int {
        var depth = 0
        var parent = job.parentJobID
        while let id = parent, depth < 100 {
            depth += 1
            parent = try self.job(id: id)?.parentJobID
        }
        return depth
    }
}
