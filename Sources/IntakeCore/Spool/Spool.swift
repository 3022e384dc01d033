import Foundation

/// The spool's folders (DESIGN.md §3). All paths Intake writes are derived here, so nothing
/// from one partner lands in another partner's folder.
public struct Spool: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    public var databasePath: String { "\(root)/intake.sqlite" }
    public var configPath: String { "\(root)/intake.json5" }
    public var lockPath: String { "\(root)/.intake.lock" }
    public var inbox: String { "\(root)/inbox" }
    public var work: String { "\(root)/work" }
    public var done: String { "\(root)/done" }
    public var rejected: String { "\(root)/rejected" }
    public var outbox: String { "\(root)/outbox" }

    public func inbox(partner: String) -> String { "\(inbox)/\(partner)" }
    public func outbox(partner: String) -> String { "\(outbox)/\(partner)" }
    public func rejected(partner: String) -> String { "\(rejected)/\(partner)" }
    public func work(job: Int64) -> String { "\(work)/\(job)" }
    public var staffOutbox: String { "\(outbox)/staff" }

    /// `done/<partner>/YYYY/MM`, by the UTC month the file finished.
    public func done(partner: String, finishedAt: Date) -> String {
        let components = Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: finishedAt)
        let year = components.year ?? 1970
        let month = components.month ?? 1
        return "\(done)/\(partner)/\(year)/\(month < 10 ? "0" : "")\(month)"
    }

    /// Paths stored in the database are relative to the root, so a spool can move.
    public func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    public func absolute(_ relativePath: String) -> String {
        relativePath.hasPrefix("/") ? relativePath : "\(root)/\(relativePath)"
    }

    /// Creates every folder of the layout that is missing.
    public func createLayout(partners: [String] = []) throws {
        for folder in [root, inbox, work, done, rejected, outbox, staffOutbox] {
            try FileSystem.makeDirectory(folder)
        }
        for partner in partners {
            try FileSystem.makeDirectory(inbox(partner: partner))
        }
    }

    /// A partner name is a folder name a partner cannot use to escape its own folder.
    public static func isValidPartnerName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64, !name.hasPrefix("."), name != "staff" else { return false }
        return name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }
}
