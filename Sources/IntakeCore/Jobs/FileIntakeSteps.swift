import Foundation
import Glibc
import Hashing
import SQLiteStore

/// The steps every file job shares before its format-specific work: find the claimed file,
/// hash it, refuse empty files and content already accepted, and commit file-level refusals.
struct FileIntakeSteps {
    let context: JobContext

    var store: IntakeStore { context.store }

    /// The claimed file's path, or an error if it is gone from `work/`.
    func workFilePath() throws -> (file: FileRecord, path: String) {
        guard let file = context.file, let workPath = file.workPath else {
            throw JobError.transient("the job has no claimed file")
        }
        return (file, context.spool.absolute(workPath))
    }

    /// Streams the file through SHA-256 (1 MiB at a time), checking for cancellation.
    func hashFile(at path: String) throws -> (sha256: String, size: Int64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileSystemError(operation: "open", path: path, errorNumber: errno)
        }
        defer { close(descriptor) }
        let hasher = try SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            try context.cancellation.check()
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, errorNumber: errno)
            }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += Int64(count)
        }
        return (try hasher.finalize(), size)
    }

    /// Records the job's tasks for this attempt, the parse task already running over the
    /// file's bytes: one commit.
    func beginTasks(_ stages: [Stage]) throws -> [Stage: Int64] {
        try store.transaction {
            let ids = try store.createTasks(job: context.job, stages: stages, worker: context.workerID, now: epochNow())
            if let parse = ids[.parse] {
                try store.startTask(parse, total: context.file?.size, unit: "bytes", now: epochNow())
            }
            return ids
        }
    }

    /// Hashes the file and settles whether it may be processed at all. Returns an outcome
    /// (already committed) when it may not: empty, or a duplicate of accepted content.
    ///
    /// The hash is recorded and the twins looked for in one write transaction, so of two
    /// files with the same content processed at once, the second to get there always sees
    /// the first and waits for it. A file that waits gives its hash up until its next try,
    /// so two waiting files can never wait for each other.
    func hashAndScreen(file: FileRecord, path: String, parseTask: Int64) throws -> (outcome: JobOutcome?, sha256: String, size: Int64) {
        let (sha256, size) = try hashFile(at: path)
        enum Screening { case proceed, refused(JobOutcome), waitFor(FileRecord) }
        let screening: Screening = try store.transaction {
            try store.setHash(fileID: file.id, sha256: sha256, size: size)
            if size == 0 {
                return .refused(try rejectFile(code: .fileEmpty, message: "the file is empty (0 bytes)", tasks: [parseTask]))
            }
            if let limit = context.config.partnerLimits[file.partner]?.maxFileBytes, size > limit {
                return .refused(try rejectFile(code: .fileTooLarge, message: "the file is \(size) bytes; partner \(file.partner) may send at most \(limit)", tasks: [parseTask]))
            }
            if let earlier = try store.acceptedFile(partner: file.partner, sha256: sha256, before: file.id) {
                var outcome = JobOutcome(state: .duplicate, reason: "same content as file \(earlier.id) (\(earlier.name)), job \(earlier.jobID.map(String.init) ?? "?"), already accepted; nothing imported")
                outcome.errorMessage = outcome.reason
                try store.finishTask(parseTask, state: "succeeded", done: size, now: epochNow())
                try store.finish(job: context.job, outcome: outcome, fileState: "duplicate", duplicateOf: earlier.id, now: epochNow())
                return .refused(outcome)
            }
            if let twin = try store.inFlightFile(partner: file.partner, sha256: sha256, other: file.id) {
                try store.clearHash(fileID: file.id)
                return .waitFor(twin)
            }
            return .proceed
        }
        switch screening {
        case .proceed: return (nil, sha256, size)
        case .refused(let outcome): return (outcome, sha256, size)
        case .waitFor(let twin):
            throw JobError.deferred(seconds: 1, reason: "waiting for file \(twin.id) with the same content to finish")
        }
    }

    /// Commits a rejection of the whole file with one file-level error.
    func rejectFile(code: ErrorCode, message: String, line: Int = 0, byteOffset: Int = 0, field: String = "", tasks: [Int64]) throws -> JobOutcome {
        var outcome = JobOutcome(state: .rejected, reason: "\(code.rawValue): \(message)")
        outcome.errorCount = 1
        outcome.errorCode = code
        outcome.errorMessage = message
        let error = RowError(line: line, record: 0, byteOffset: byteOffset, column: 0, field: field, code: code, message: message, value: "")
        try store.transaction {
            try store.recordErrors(job: context.job.id, listed: [error], counts: [code: 1])
            for task in tasks {
                try store.finishTask(task, state: "failed", error: message, now: epochNow())
            }
            try store.finish(job: context.job, outcome: outcome, fileState: "rejected", now: epochNow())
        }
        return outcome
    }
}

extension IntakeStore {
    /// Stores the listed row errors and the exact count per code (call inside a transaction).
    func recordErrors(job: Int64, listed: [RowError], counts: [ErrorCode: Int]) throws {
        let insert = try connection.statement("""
            INSERT INTO row_errors(job_id, line, record, byte_offset, column_number, field, code, message, value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for error in listed {
            try insert.bind([job, error.line, error.record, error.byteOffset, error.column, error.field, error.code.rawValue, error.message, error.value])
            try insert.run()
        }
        for (code, count) in counts {
            try connection.run("INSERT INTO error_counts(job_id, code, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = excluded.count",
                               job, code.rawValue, count)
        }
    }

    public func rowErrors(job: Int64, limit: Int = Int.max) throws -> [RowError] {
        try connection.fetchAll("SELECT * FROM row_errors WHERE job_id = ? ORDER BY id LIMIT ?", job, limit).map { row in
            RowError(line: row.int("line") ?? 0, record: row.int("record") ?? 0, byteOffset: row.int("byte_offset") ?? 0,
                     column: row.int("column_number") ?? 0, field: row.string("field") ?? "",
                     code: ErrorCode(rawValue: row.string("code") ?? "") ?? .internalError,
                     message: row.string("message") ?? "", value: row.string("value") ?? "")
        }
    }

    public func errorCounts(job: Int64) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try connection.fetchAll("SELECT code, count FROM error_counts WHERE job_id = ?", job) {
            counts[row.string("code") ?? ""] = row.int("count") ?? 0
        }
        return counts
    }
}
