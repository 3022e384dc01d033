import Foundation
import Hashing
import SQLiteStore

/// Intake's state in SQLite: files, jobs, history, tasks, workers, errors, audit and records.
///
/// One `IntakeStore` wraps one connection and belongs to one owner (a worker slot, the
/// supervisor, a command); open one per owner. Every method that changes state writes its
/// history and audit rows in the same transaction as the change.
public final class IntakeStore {
    public let connection: Connection
    public let spool: Spool

    /// Opens (and creates or migrates) the spool's database with the daemon's durability settings.
    public init(spool: Spool, readOnly: Bool = false) throws {
        self.spool = spool
        var options = Connection.Options()
        options.readOnly = readOnly
        connection = try Connection(path: spool.databasePath, options: options)
        if !readOnly {
            try Schema.migrator.migrate(connection)
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.transaction(.immediate, body)
    }

    // MARK: History and audit

    /// Records a state change of `job` (call inside the transaction that makes the change).
    func recordHistory(job: Int64, from: JobState?, to: JobState, attempt: Int, reason: String, at now: Double) throws {
        try connection.run("INSERT INTO job_history(job_id, at, from_state, to_state, attempt, reason) VALUES (?, ?, ?, ?, ?, ?)",
                           job, now, from?.rawValue, to.rawValue, attempt, reason)
        try appendAudit("job.\(to.rawValue)", job: job, file: nil, detail: ["from": from?.rawValue ?? "", "attempt": String(attempt), "reason": reason], at: now)
    }

    /// Appends a hash-chained audit event: each hash covers the previous one, so an edited or
    /// removed row breaks the chain that `verifyAuditChain()` walks.
    public func appendAudit(_ event: String, job: Int64?, file: Int64?, detail: [String: String], at now: Double) throws {
        let previous = try connection.fetchOne("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")?.string("hash") ?? String(repeating: "0", count: 64)
        let detailJSON = JSONText.object(detail)
        let hash = try Self.auditHash(previous: previous, at: now, event: event, job: job, file: file, detail: detailJSON)
        try connection.run("INSERT INTO audit_events(at, event, job_id, file_id, detail, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           now, event, job, file, detailJSON, previous, hash)
    }

    static func auditHash(previous: String, at: Double, event: String, job: Int64?, file: Int64?, detail: String) throws -> String {
        let material = "\(previous)|\(at)|\(event)|\(job.map(String.init) ?? "")|\(file.map(String.init) ?? "")|\(detail)"
        return try SHA256Hasher.hexDigest(of: Array(material.utf8))
    }

    /// Walks the audit chain; returns the id of the first event whose hash does not hold.
    public func verifyAuditChain() throws -> Int64? {
        var previous = String(repeating: "0", count: 64)
        for row in try connection.fetchAll("SELECT * FROM audit_events ORDER BY id") {
            let expected = try Self.auditHash(previous: previous, at: row.double("at") ?? 0, event: row.string("event") ?? "",
                                              job: row.int64("job_id"), file: row.int64("file_id"), detail: row.string("detail") ?? "")
            guard row.string("previous_hash") == previous, row.string("hash") == expected else { return row.int64("id") }
            previous = expected
        }
        return nil
    }
}

/// Current time as stored: seconds since 1970 UTC.
public func epochNow() -> Double { Date().timeIntervalSince1970 }
