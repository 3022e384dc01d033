import Foundation
import IntakeCore

/// Runs a file-less job (billing, statements) in this process and reports how it ended; the
/// job is recorded like any other, so `jobs show` tells its history.
func runCommandJob(_ kind: JobKindName, params: [String: String], global: GlobalOptions, json: Bool) async throws -> Int32 {
    let config = try global.loadConfig()
    try global.spool.createLayout()
    let store = try IntakeStore(spool: global.spool)
    let owner = "command-\(getpid())"
    let job = try store.createRunningJob(kind: kind, params: params, settings: config.settings(for: kind), maxAttempts: config.maxAttempts(for: kind),
                                         owner: owner, leaseSeconds: config.settings(for: kind).timeoutSeconds, now: epochNow())
    let id = job.id
    JobRunner(store: store, config: config, workerID: owner, log: Log(quiet: true)).run(job, cancellation: CancellationFlag())
    guard let detail = try store.jobDetail(id: id) else { throw CommandFailure(message: "job \(id) vanished") }
    if json {
        try printJSON(detail)
    } else {
        print("job \(id) \(detail.job.state)\(detail.error_message.map { ": " + $0 } ?? "")")
        if let job = try store.job(id: id) {
            let outputs = (try? JSONDecoder().decode([String].self, from: Data(job.outputs.utf8))) ?? []
            print("rows: examined \(job.rowsRead), created \(job.rowsLoaded), not billable \(job.rowsSkipped)")
            for output in outputs { print("  \(global.spool.absolute(output))") }
        }
    }
    return detail.job.state == "succeeded" ? 0 : 1
}

func monthOption(_ arguments: inout Arguments) throws(UsageError) -> String {
    guard let month = try arguments.option("--month") else { throw UsageError(message: "--month YYYY-MM is required") }
    guard CivilDate(iso: month + "-01") != nil else { throw UsageError(message: "--month must be YYYY-MM, got '\(month)'") }
    return month
}

/// `intake bill --month YYYY-MM`.
struct BillCommand: IntakeCommand {
    static let name = "bill"
    static let abstract = "monthly rental billing: the month's claim lines for every rental (running a month twice creates nothing new)"
    static let usage = "intake [--spool DIR] bill --month YYYY-MM [--partner P] [--json]"

    let global: GlobalOptions
    let month: String
    let partner: String?
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        month = try monthOption(&arguments)
        partner = try arguments.option("--partner")
        json = arguments.flag("--json")
    }

    func run() async throws -> Int32 {
        var params = ["month": month]
        if let partner { params["partner"] = partner }
        return try await runCommandJob(.rentalBilling, params: params, global: global, json: json)
    }
}

/// `intake statements --month YYYY-MM`.
struct StatementsCommand: IntakeCommand {
    static let name = "statements"
    static let abstract = "patient statements from the month's remittances (CSV for the mailing house, HTML per patient)"
    static let usage = "intake [--spool DIR] statements --month YYYY-MM [--json]"

    let global: GlobalOptions
    let month: String
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        month = try monthOption(&arguments)
        json = arguments.flag("--json")
    }

    func run() async throws -> Int32 {
        try await runCommandJob(.statements, params: ["month": month], global: global, json: json)
    }
}

/// `intake enqueue-noop --count N`: queues jobs that do nothing, to measure the queue.
struct EnqueueNoopCommand: IntakeCommand {
    static let name = "enqueue-noop"
    static let abstract = "queue N jobs that do nothing (benchmarks the queue: claim, history, outcome)"
    static let usage = "intake [--spool DIR] enqueue-noop --count N [--partner P]"

    let global: GlobalOptions
    let count: Int
    let partner: String

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        guard let text = try arguments.option("--count"), let count = Int(text), (1...10_000_000).contains(count) else {
            throw UsageError(message: "--count N (1 to 10,000,000) is required")
        }
        self.count = count
        partner = try arguments.option("--partner") ?? "bench"
    }

    func run() async throws -> Int32 {
        try global.spool.createLayout()
        try IntakeStore(spool: global.spool).enqueueNoopJobs(count: count, partner: partner, now: epochNow())
        print("\(count) no-op jobs queued")
        return 0
    }
}
