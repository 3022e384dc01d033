/// A file that matches none of its partner's feeds: refused with the list of feeds it could
/// have matched, so the partner can rename it or the operator can add a feed.
struct UnroutableFileJob: JobKind {
    var name: JobKindName { .unroutable }
    var stages: [Stage] { [.parse, .deliver] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let steps = FileIntakeSteps(context: context)
        let tasks = try steps.beginTasks([.parse])
        let parseTask = tasks[.parse] ?? 0
        let (file, path) = try steps.workFilePath()
        let screened = try steps.hashAndScreen(file: file, path: path, parseTask: parseTask)
        if let outcome = screened.outcome { return outcome }
        let feeds = context.config.feeds(for: file.partner).map { "\($0.name) (\($0.pattern))" }.joined(separator: ", ")
        return try steps.rejectFile(code: .unknownFeed,
                                    message: "\(file.name) matches none of partner \(file.partner)'s feeds: \(feeds.isEmpty ? "none configured" : feeds)",
                                    tasks: [parseTask])
    }
}
