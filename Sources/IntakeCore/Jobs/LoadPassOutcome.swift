/// The end of every streaming load pass (claims and the domain layouts): apply the feed's error
/// policy, undo the rows when the file is refused, and commit the errors, the tasks and the
/// job's outcome. Runs inside the pass's transaction.
struct LoadPassOutcome {
    var rowsRead = 0
    var rowsLoaded = 0
    var rowsRejected = 0
    /// A structural error that ended the pass early.
    var fatal: RowError?
    /// File-level checks that failed after every record was in (a remittance check total).
    var fileErrors: [RowError] = []

    func commit(_ collector: inout ErrorCollector, feed: FeedRule, context: JobContext, tasks: (validate: Int64, load: Int64),
                parsed: ParsedTask? = nil) throws -> JobOutcome {
        let store = context.store
        if let fatal { collector.add(fatal) }
        collector.add(contentsOf: fileErrors)
        var outcome = JobOutcome(state: .succeeded, reason: "")
        outcome.rowsRead = rowsRead
        outcome.rowsRejected = rowsRejected
        let tooMany = feed.errorPolicy == .skipRows && (feed.maxErrors?.isExceeded(errors: rowsRejected, rows: rowsRead) ?? false)
        if tooMany, let limit = feed.maxErrors {
            collector.add(RowError(line: 0, record: 0, byteOffset: 0, column: 0, field: "", code: .tooManyErrors,
                                   message: "\(rowsRejected) of \(rowsRead) records have errors, more than the feed allows (\(limit.description)); nothing loaded", value: ""))
        }
        outcome.errorCount = collector.total
        let firstFileError = fatal ?? fileErrors.first
        let refused = firstFileError != nil || tooMany || (feed.errorPolicy == .abort && collector.total > 0) || (rowsLoaded == 0 && rowsRejected > 0)
        if refused {
            // Undo the rows: roll the transaction back and record the refusal in a new one.
            // (A savepoint would keep a journal of every page the rows touched, in memory.)
            try store.connection.execute("ROLLBACK")
            try store.connection.execute("BEGIN IMMEDIATE")
            outcome.state = .rejected
            outcome.rowsSkipped = rowsLoaded
            if let firstFileError {
                outcome.errorCode = firstFileError.code
                outcome.reason = "\(firstFileError.code.rawValue): \(firstFileError.message); nothing loaded"
            } else if tooMany {
                outcome.errorCode = .tooManyErrors
                outcome.reason = "\(rowsRejected) of \(rowsRead) rows have errors, more than max_errors allows; nothing loaded"
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
        try store.recordErrors(job: context.job.id, listed: collector.listed, counts: collector.counts)
        let end = epochNow()
        if let parsed { try store.finishTask(parsed.task, state: "succeeded", done: parsed.bytes, now: parsed.at) }
        try store.finishTask(tasks.validate, state: fatal == nil ? "succeeded" : "failed", done: Int64(rowsRead), error: fatal?.message, now: end)
        try store.finishTask(tasks.load, state: refused ? "skipped" : "succeeded", done: Int64(outcome.rowsLoaded), now: end)
        try store.finish(job: context.job, outcome: outcome, fileState: outcome.state.isAccepted ? "done" : "rejected", now: end)
        return outcome
    }
}

/// A parse task that ended before the load began, recorded in the load's commit.
struct ParsedTask {
    let task: Int64
    let bytes: Int64
    let at: Double
}
