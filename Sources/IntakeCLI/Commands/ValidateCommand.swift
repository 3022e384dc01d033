import Foundation
import IntakeCore

/// `intake validate FILE`: a dry run through the real pipeline on a throw-away spool, so it
/// says exactly what the error manifest would say; nothing is loaded into the real database.
struct ValidateCommand: IntakeCommand {
    static let name = "validate"
    static let abstract = "dry run: print what the manifests would say for FILE; exit 1 if it would be rejected"
    static let usage = "intake [--config FILE] validate FILE [--partner P] [--feed F] [--json]"

    let global: GlobalOptions
    let file: String
    let partner: String
    let feedName: String?
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        json = arguments.flag("--json")
        let partner = try arguments.option("--partner")
        feedName = try arguments.option("--feed")
        guard let file = arguments.positional() else { throw UsageError(message: "validate needs a FILE") }
        self.file = file
        // By default the partner is the folder the file sits in, as in an inbox.
        let folder = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let chosen = partner ?? folder
        guard Spool.isValidPartnerName(chosen) else {
            throw UsageError(message: "cannot tell the partner from the folder '\(folder)'; pass --partner")
        }
        self.partner = chosen
    }

    func run() async throws -> Int32 {
        guard FileManager.default.fileExists(atPath: file) else { throw CommandFailure(message: "no file \(file)") }
        var config = try global.loadConfig()
        if let feedName {
            guard var feed = config.feeds(for: partner).first(where: { $0.name == feedName }) else {
                throw CommandFailure(message: "partner \(partner) has no feed \(feedName) (feeds: \(config.feeds(for: partner).map(\.name).joined(separator: ", ")))")
            }
            feed.pattern = "*"
            config.partners[partner] = PartnerConfig(feeds: [feed])
        }
        // A dry run has the whole file already: no done-markers to wait for.
        config.partners[partner] = PartnerConfig(feeds: config.feeds(for: partner).map { feed in
            var feed = feed
            feed.doneMarker = nil
            return feed
        })
        config.settleSeconds = 0
        config.pollIntervalSeconds = 0.05
        config.workers = 1
        let root = NSTemporaryDirectory() + "intake-validate-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = Spool(root: root + "/spool")
        let name = (file as NSString).lastPathComponent
        try spool.createLayout(partners: [partner])
        try FileManager.default.copyItem(atPath: file, toPath: spool.inbox(partner: partner) + "/" + name)
        var options = Supervisor.Options()
        options.once = true
        options.quiet = true
        try await Supervisor(spool: spool, config: config, options: options).run()

        let outbox = spool.outbox(partner: partner)
        let manifestPath = "\(outbox)/\(name).result.json"
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CommandFailure(message: "the dry run produced no result manifest")
        }
        let state = manifest["state"] as? String ?? "?"
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(name): \(state) - \(manifest["message"] as? String ?? "")")
            if let counts = manifest["counts"] as? [String: Int] {
                print("rows: read \(counts["rows_read"] ?? 0), would load \(state == "rejected" ? 0 : counts["rows_loaded"] ?? 0), rejected \(counts["rows_rejected"] ?? 0)")
            }
            if let errors = FileManager.default.contents(atPath: "\(outbox)/\(name).errors.csv") {
                print("error manifest (\(name).errors.csv):")
                print(String(decoding: errors, as: UTF8.self), terminator: "")
            }
        }
        return state == "succeeded" || state == "partially_succeeded" || state == "duplicate" ? 0 : 1
    }
}
