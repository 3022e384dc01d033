import Foundation

/// Everything Intake can be told, read once at start-up and passed down as a value.
///
/// The file is JSON5 (comments and trailing commas allowed), keys in snake_case; every key is
/// optional and falls back to the default documented in `Docs/configuration.md`.
public struct IntakeConfig: Sendable, Equatable {
    /// How often each inbox is listed.
    public var pollIntervalSeconds: Double = 1
    /// How long a file's size and mtime must stay unchanged, counted from first sighting.
    public var settleSeconds: Double = 3
    /// Worker slots: jobs that run at once. Default: the number of cores.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// A running job's lease; a job whose lease lapsed belongs to a dead daemon.
    public var leaseSeconds: Double = 60
    /// On SIGTERM, how long in-flight jobs may run before they are interrupted and released.
    public var shutdownGraceSeconds: Double = 20
    /// Attempts for a job that fails with a transient error (I/O, busy database, full disk).
    public var maxAttempts: Int = 3
    /// First retry delay; doubles per attempt, with jitter.
    public var retryBaseSeconds: Double = 2
    /// Inbox names never picked up (shell globs): temp files of uploads in progress.
    public var ignorePatterns: [String] = [".*", "*.part", "*.filepart", "*.tmp", "*.swp", "*~"]
    /// Detailed errors kept per file (counts stay exact beyond it).
    public var maxListedErrors: Int = 10_000
    /// Feeds used for partners that have none of their own.
    public var defaultFeeds: [FeedRule] = [FeedRule.defaultClaims]
    /// Per-partner settings, by inbox folder name.
    public var partners: [String: PartnerConfig] = [:]

    public init() {}

    /// The feeds that apply to `partner`, in match order.
    public func feeds(for partner: String) -> [FeedRule] {
        partners[partner]?.feeds ?? defaultFeeds
    }

    /// The first feed whose pattern matches `fileName`.
    public func feed(for partner: String, fileName: String) -> FeedRule? {
        feeds(for: partner).first { $0.matches(fileName) }
    }

    public func isIgnored(_ fileName: String) -> Bool {
        ignorePatterns.contains { Glob.matches($0, fileName) }
    }
}

/// One partner's own settings.
public struct PartnerConfig: Sendable, Equatable, Codable {
    public var feeds: [FeedRule]?
    public init(feeds: [FeedRule]? = nil) { self.feeds = feeds }
}

/// How a partner's file whose name matches `pattern` is processed.
public struct FeedRule: Sendable, Equatable, Codable {
    public var name: String
    /// Shell glob on the file name (`claims-*.csv`).
    public var pattern: String
    public var kind: JobKindName
    public var format: FileFormat
    public var errorPolicy: ErrorPolicy
    /// One character: `,` `;` `|` or `\t`.
    public var delimiter: String
    /// Higher runs first.
    public var priority: Int
    /// Header aliases: partner's name → layout column name.
    public var columnAliases: [String: String]

    public init(name: String, pattern: String, kind: JobKindName = .claimsImport, format: FileFormat = .csv,
                errorPolicy: ErrorPolicy = .abort, delimiter: String = ",", priority: Int = 100, columnAliases: [String: String] = [:]) {
        self.name = name
        self.pattern = pattern
        self.kind = kind
        self.format = format
        self.errorPolicy = errorPolicy
        self.delimiter = delimiter
        self.priority = priority
        self.columnAliases = columnAliases
    }

    public static let defaultClaims = FeedRule(name: "claims", pattern: "*.csv")

    public func matches(_ fileName: String) -> Bool { Glob.matches(pattern, fileName) }

    enum CodingKeys: String, CodingKey {
        case name, pattern, kind, format, errorPolicy = "error_policy", delimiter, priority, columnAliases = "column_aliases"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        pattern = try container.decode(String.self, forKey: .pattern)
        kind = try container.decodeIfPresent(JobKindName.self, forKey: .kind) ?? .claimsImport
        format = try container.decodeIfPresent(FileFormat.self, forKey: .format) ?? .csv
        errorPolicy = try container.decodeIfPresent(ErrorPolicy.self, forKey: .errorPolicy) ?? .abort
        delimiter = try container.decodeIfPresent(String.self, forKey: .delimiter) ?? ","
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 100
        columnAliases = try container.decodeIfPresent([String: String].self, forKey: .columnAliases) ?? [:]
    }
}

public enum FileFormat: String, Sendable, Codable, Equatable {
    case csv
}

/// What a bad row does to its file (after Snowflake's ON_ERROR).
public enum ErrorPolicy: String, Sendable, Codable, Equatable {
    /// Any bad row rejects the whole file; nothing is loaded.
    case abort
    /// Good rows load; bad rows are listed in the error manifest.
    case skipRows = "skip_rows"
}

/// The job kinds a feed can start.
public enum JobKindName: String, Sendable, Codable, Equatable, CaseIterable {
    case claimsImport = "claims_import"
    /// A file that matches none of its partner's feeds: rejected with the list of feeds.
    case unroutable
}

/// Shell-style matching through `fnmatch(3)`.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PERIOD) == 0 || (pattern.hasPrefix(".") && fnmatch(pattern, name, 0) == 0)
    }
}
