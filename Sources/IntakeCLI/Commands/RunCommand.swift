import IntakeCore

/// `intake run`: the daemon.
struct RunCommand: IntakeCommand {
    static let name = "run"
    static let abstract = "watch the inboxes and process files (the daemon); --once drains and exits"
    static let usage = "intake [--spool DIR] [--config FILE] run [--once] [--verbose]"

    let global: GlobalOptions
    let options: Supervisor.Options

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        var options = Supervisor.Options()
        options.once = arguments.flag("--once")
        options.verbose = arguments.flag("--verbose")
        self.options = options
    }

    func run() async throws -> Int32 {
        let config = try global.loadConfig()
        try await Supervisor(spool: global.spool, config: config, options: options).run()
        return 0
    }
}
