/// Where a job is in its life (DESIGN.md §5). Final states never change again, except through
/// an explicit retry, which is itself recorded.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case succeeded
    /// Some rows loaded, some rejected (`skip_rows`).
    case partiallySucceeded = "partially_succeeded"
    /// The partner's file was refused (bad rows under `abort`, unreadable, unknown feed).
    case rejected
    /// Intake could not process it (transient errors past the attempt limit, internal errors).
    case failed
    case cancelled
    case timedOut = "timed_out"
    /// Same partner, same content as a file already accepted; nothing imported.
    case duplicate

    public var isFinal: Bool { self != .queued && self != .running }
    /// Final states whose file counts as accepted for duplicate detection.
    public var isAccepted: Bool { self == .succeeded || self == .partiallySucceeded }
}

/// The stages of an import job, each recorded as a task with its own progress.
public enum Stage: String, Sendable, CaseIterable {
    case parse, validate, load, process, deliver
}
