/// A job that does nothing and succeeds, so a benchmark measures what the queue itself costs:
/// claiming (one `UPDATE ... RETURNING`), history, the outcome and delivery.
struct NoopJob: JobKind {
    var name: JobKindName { .noop }
    var stages: [Stage] { [] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let outcome = JobOutcome(state: .succeeded, reason: "no-op")
        try context.store.transaction {
            try context.store.finish(job: context.job, outcome: outcome, fileState: "done", now: epochNow())
        }
        return outcome
    }
}
