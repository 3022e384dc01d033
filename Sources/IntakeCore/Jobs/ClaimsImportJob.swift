import Foundation
import SQLiteStore

/// Imports a claims CSV (layout v1): hash and screen the file, map the header, then validate
/// and load every record in one streaming pass inside one transaction, which also commits
/// the job's outcome. Under `abort` any bad row rolls the rows back; under `skip_rows` the
/// good rows stay. Bad rows are listed with line, column, code and value.
struct ClaimsImportJob: JobKind {
    var name: JobKindName { .claimsImport }
    var stages: [Stage] { Stage.allCases }

    /// How often (rows) the loop checks for cancellation and records progress.
    static let checkInterval = 4096

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let steps = FileIntakeSteps(context: context)
        let feed = context.feed ?? FeedRule.defaultClaims
        let tasks = try store.transaction {
            try store.createTasks(job: context.job, stages: [.parse, .validate, .load], worker: context.workerID, now: epochNow())
        }
        let parseTask = tasks[.parse] ?? 0, validateTask = tasks[.validate] ?? 0, loadTask = tasks[.load] ?? 0
        let allTasks = [parseTask, validateTask, loadTask]

        // Parse: hash, screen, header.
        let (file, path) = try steps.workFilePath()
        let screened = try steps.hashAndScreen(file: file, path: path, parseTask: parseTask)
        if let outcome = screened.outcome { return outcome }

        var options = CSVReader.Options()
        options.delimiter = feed.delimiter.utf8.first ?? UInt8(ascii: ",")
        let reader: CSVReader
        let header: [String]
        do {
            reader = try CSVReader(path: path, options: options)
            guard try reader.next() else {
                return try steps.rejectFile(code: .noHeader, message: "the file has no header row", tasks: allTasks)
            }
            header = reader.strings()
        } catch let error as CSVReadError {
            return try steps.rejectFile(code: error.code, message: error.message, line: error.line, byteOffset: error.byteOffset, tasks: allTasks)
        }
        let required = Set(ClaimColumn.allCases.filter(\.isRequired))
        let mapping: HeaderMapping<ClaimColumn>
        switch HeaderMapping<ClaimColumn>.make(header: header, required: required, aliases: feed.columnAliases) {
        case .success(let value): mapping = value
        case .failure(let error):
            return try steps.rejectFile(code: error.code, message: error.message, line: 1, field: error.columns.joined(separator: ","), tasks: allTasks)
        }
        try store.finishTask(parseTask, state: "succeeded", done: screened.size, now: epochNow())

        // Validate and load, streaming, in one transaction with the outcome.
        let validator = ClaimLineValidator(mapping: mapping, partner: file.partner, today: context.today)
        return try store.transaction {
            let now = epochNow()
            try store.startTask(validateTask, total: nil, now: now)
            try store.startTask(loadTask, total: nil, now: now)
            try store.connection.execute("SAVEPOINT claim_rows")
            let loader = try ClaimsLoader(connection: store.connection, fileID: file.id, jobID: context.job.id, partner: file.partner)
            var collector = ErrorCollector(limit: context.config.maxListedErrors)
            var rowErrors: [RowError] = []
            var rowsRead = 0, rowsLoaded = 0, rowsRejected = 0
            var fatal: CSVReadError?
            while true {
                do {
                    guard try reader.next() else { break }
                } catch let error as CSVReadError {
                    if error.code == .invalidUTF8 {
                        rowsRead += 1
                        rowsRejected += 1
                        collector.add(RowError(line: error.line, record: reader.recordCount, byteOffset: error.byteOffset, column: 0, field: "",
                                               code: error.code, message: error.message, value: ""))
                        continue
                    }
                    fatal = error
                    break
                }
                rowsRead += 1
                if rowsRead % Self.checkInterval == 0 {
                    try context.cancellation.check()
                }
                rowErrors.removeAll(keepingCapacity: true)
                guard let line = validator.validate(reader, errors: &rowErrors) else {
                    rowsRejected += 1
                    collector.add(contentsOf: rowErrors)
                    continue
                }
                switch try loader.insert(line, sourceLine: reader.recordLine) {
                case .inserted:
                    rowsLoaded += 1
                case .duplicateLine:
                    rowsRejected += 1
                    collector.add(RowError(line: reader.recordLine, record: reader.recordCount - 1, byteOffset: reader.recordByteOffset,
                                           column: (mapping.indexes[.lineNumber] ?? mapping.indexes[.claimID] ?? 0) + 1, field: "line_no",
                                           code: .duplicateLine, message: "claim \(line.claimID) line \(line.lineNumber) appears more than once in the file",
                                           value: "\(line.claimID)/\(line.lineNumber)"))
                }
            }
            var outcome = JobOutcome(state: .succeeded, reason: "")
            outcome.rowsRead = rowsRead
            if let fatal {
                collector.add(RowError(line: fatal.line, record: 0, byteOffset: fatal.byteOffset, column: 0, field: "", code: fatal.code, message: fatal.message, value: ""))
            }
            outcome.errorCount = collector.total
            outcome.rowsRejected = rowsRejected
            let shouldRollBack = fatal != nil || (feed.errorPolicy == .abort && collector.total > 0) || (rowsLoaded == 0 && rowsRejected > 0)
            if shouldRollBack {
                try store.connection.execute("ROLLBACK TO claim_rows")
                outcome.state = .rejected
                outcome.rowsSkipped = rowsLoaded
                outcome.rowsLoaded = 0
                if let fatal {
                    outcome.errorCode = fatal.code
                    outcome.reason = "\(fatal.code.rawValue): \(fatal.message); nothing loaded"
                } else if feed.errorPolicy == .abort {
                    outcome.reason = "\(rowsRejected) of \(rowsRead) rows have errors and the feed's policy is abort; nothing loaded"
                } else {
                    outcome.reason = "none of the \(rowsRead) rows is valid; nothing loaded"
                }
            } else {
                outcome.rowsLoaded = rowsLoaded
                outcome.state = rowsRejected > 0 ? .partiallySucceeded : .succeeded
                outcome.reason = rowsRejected > 0
                    ? "\(rowsLoaded) rows loaded, \(rowsRejected) rejected (policy skip_rows)"
                    : "\(rowsLoaded) rows loaded"
            }
            outcome.errorCode = outcome.errorCode ?? collector.mostFrequentCode
            outcome.errorMessage = collector.total > 0 ? outcome.reason : nil
            try store.connection.execute("RELEASE claim_rows")
            try store.recordErrors(job: context.job.id, listed: collector.listed, counts: collector.counts)
            let end = epochNow()
            try store.finishTask(validateTask, state: fatal == nil ? "succeeded" : "failed", done: Int64(rowsRead), error: fatal?.message, now: end)
            try store.finishTask(loadTask, state: shouldRollBack ? "skipped" : "succeeded", done: Int64(outcome.rowsLoaded), now: end)
            try store.finish(job: context.job, outcome: outcome, fileState: outcome.state.isAccepted ? "done" : "rejected", now: end)
            return outcome
        }
    }
}

/// Keeps the first `limit` errors in detail and exact counts of all of them, so memory stays
/// bounded on a file where every row is bad.
struct ErrorCollector {
    let limit: Int
    private(set) var listed: [RowError] = []
    private(set) var counts: [ErrorCode: Int] = [:]
    private(set) var total = 0

    init(limit: Int) { self.limit = limit }

    mutating func add(_ error: RowError) {
        total += 1
        counts[error.code, default: 0] += 1
        if listed.count < limit { listed.append(error) }
    }

    mutating func add(contentsOf errors: [RowError]) {
        for error in errors { add(error) }
    }

    var mostFrequentCode: ErrorCode? {
        counts.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key
    }
}
