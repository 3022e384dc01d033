import Foundation
import IntakeCore

/// `intake init`: lays out the spool and writes a commented example configuration.
struct InitCommand: IntakeCommand {
    static let name = "init"
    static let abstract = "create the spool folders, the database and an example configuration"
    static let usage = "intake [--spool DIR] init [--partner NAME ...]"

    let global: GlobalOptions
    let partners: [String]

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        var partners: [String] = []
        while let partner = try arguments.option("--partner") {
            guard Spool.isValidPartnerName(partner) else { throw UsageError(message: "'\(partner)' is not a valid partner name (letters, digits, '-', '_', '.')") }
            partners.append(partner)
        }
        self.partners = partners
    }

    func run() async throws -> Int32 {
        let spool = global.spool
        try spool.createLayout(partners: partners)
        _ = try IntakeStore(spool: spool)
        if !FileManager.default.fileExists(atPath: spool.configPath) {
            try AtomicFileWriter.write(ExampleConfiguration.text, to: spool.configPath)
            print("wrote \(spool.configPath)")
        }
        print("spool ready at \(spool.root)")
        print("  partners drop files into \(spool.inbox)/<partner>/; results appear in \(spool.outbox)/<partner>/")
        return 0
    }
}

/// The configuration `intake init` writes: every key, its default, and what it is for.
enum ExampleConfiguration {
    static let text = """
        // Intake configuration (JSON5: comments and trailing commas are allowed).
        // Every key is optional; the values below are the defaults. See Docs/configuration.md.
        {
          // How often each inbox is listed, in seconds.
          poll_interval_seconds: 1,
          // A file is picked up once its size and mtime have not changed for this long,
          // counted from when Intake first saw it (SFTP clients may keep an old mtime).
          settle_seconds: 3,
          // Jobs that run at once (default: the number of cores).
          // workers: 2,
          // A running job's lease; jobs of a daemon that died are requeued at start-up.
          lease_seconds: 60,
          // On SIGTERM/SIGINT: how long running jobs may finish before they are released.
          shutdown_grace_seconds: 20,
          // Attempts for transient failures (I/O, busy database, full disk), with backoff.
          max_attempts: 3,
          retry_base_seconds: 2,
          // Names never picked up: uploads in progress and editor droppings.
          ignore_patterns: [".*", "*.part", "*.filepart", "*.tmp", "*.swp", "*~"],
          // Errors listed in detail per file (counts stay exact beyond it).
          max_listed_errors: 10000,
          // Feeds for partners that have none of their own: claims CSV, any bad row rejects the file.
          default_feeds: [
            { name: "claims", pattern: "*.csv", kind: "claims_import", format: "csv", error_policy: "abort" },
          ],
          // Per partner (the inbox folder name): its own feeds, tried in order.
          partners: {
            // "acme-medical": {
            //   feeds: [
            //     { name: "claims", pattern: "claims-*.csv", error_policy: "skip_rows", delimiter: ",",
            //       column_aliases: { "member_id": "patient_id" } },
            //   ],
            // },
          },
        }

        """
}
