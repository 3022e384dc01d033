import Foundation
import IntakeCore

/// `intake submit FILE --partner P`: enqueues a file without SFTP. The file is copied into
/// `work/<job>/`; the job cannot be claimed until the copy is in place.
struct SubmitCommand: IntakeCommand {
    static let name = "submit"
    static let abstract = "enqueue a file for a partner without SFTP (prints the job id)"
    static let usage = "intake [--spool DIR] submit FILE --partner P [--feed F] [--depends-on JOB ...] [--json]"

    let global: GlobalOptions
    let file: String
    let partner: String
    let feedName: String?
    let dependsOn: [Int64]
    let json: Bool

    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError) {
        self.global = global
        json = arguments.flag("--json")
        guard let partner = try arguments.option("--partner") else { throw UsageError(message: "submit needs --partner") }
        guard Spool.isValidPartnerName(partner) else { throw UsageError(message: "'\(partner)' is not a valid partner name") }
        self.partner = partner
        feedName = try arguments.option("--feed")
        var dependsOn: [Int64] = []
        while let word = try arguments.option("--depends-on") {
            guard let id = Int64(word), id > 0 else { throw UsageError(message: "--depends-on takes a job id, got '\(word)'") }
            dependsOn.append(id)
        }
        self.dependsOn = dependsOn
        guard let file = arguments.positional() else { throw UsageError(message: "submit needs a FILE") }
        self.file = file
    }

    func run() async throws -> Int32 {
        guard let status = FileSystem.status(file), status.isRegularFile else { throw CommandFailure(message: "no file \(file)") }
        let config = try global.loadConfig()
        let spool = global.spool
        try spool.createLayout()
        let store = try IntakeStore(spool: spool)
        let name = (file as NSString).lastPathComponent
        let feed: FeedRule
        if let feedName {
            guard let chosen = config.feeds(for: partner).first(where: { $0.name == feedName }) else {
                throw CommandFailure(message: "partner \(partner) has no feed \(feedName) (feeds: \(config.feeds(for: partner).map(\.name).joined(separator: ", ")))")
            }
            feed = chosen
        } else {
            feed = FeedRouter(config: config).feed(partner: partner, fileName: name, path: file)
        }
        // Copy beside the target first, so the job only ever sees the whole file.
        let staging = "\(spool.work)/.submit-\(UUID().uuidString)"
        try FileSystem.makeDirectory(staging)
        defer { FileSystem.removeTree(staging) }
        try FileSystem.copyAtomically(file, to: "\(staging)/\(name)")
        let now = epochNow()
        let ids = try store.recordDiscoveredFile(partner: partner, name: name, inboxPath: "submit:\(file)", size: status.size, feed: feed,
                                                 settings: config.settings(for: feed.kind), maxAttempts: config.maxAttempts(for: feed.kind),
                                                 firstSeen: now, now: now, dependsOn: dependsOn)
        let target = spool.absolute(ids.workPath)
        try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
        try FileSystem.rename("\(staging)/\(name)", to: target)
        try store.markFileClaimed(ids.file)
        if json {
            try printJSON(["job_id": ids.job, "file_id": ids.file])
        } else {
            print("job \(ids.job) queued for \(partner) (feed \(feed.name))")
        }
        return 0
    }
}
