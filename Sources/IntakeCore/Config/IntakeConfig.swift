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
    /// Per job kind settings, by kind name (`claims_import`, `archive`, `report`).
    public var kinds: [String: KindOverrides] = [:]
    /// Per partner limits.
    public var partnerLimits: [String: PartnerLimits] = [:]
    /// Under this much free space on the spool's disk nothing new is claimed.
    public var minFreeDiskBytes: Int64 = 64 << 20
    /// Files claimed per poll at most (the rest wait for the next poll), taken in turn per partner.
    public var maxClaimsPerPoll = 500
    /// Worker slots grow from `min_workers` up to `workers` with the backlog.
    public var minWorkers = 1
    /// Scheduled jobs (cron).
    public var schedules: [Schedule] = []
    /// Drops partners are expected to make on a schedule.
    public var expectedDrops: [ExpectedDrop] = []
    /// What an archive may do before it is refused as hostile.
    public var archiveLimits = ArchiveLimits()
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

/// Limits on archives (`archive_limits` in the file).
public struct ArchiveLimits: Sendable, Equatable, Codable {
    public var maxMembers = 1_000
    /// Bytes actually written for one archive, all members together.
    public var maxBytes: Int64 = 1 << 30
    /// Bytes written per byte of archive.
    public var maxRatio: Int64 = 100
    /// Archives inside archives: a top-level archive is depth 0.
    public var maxDepth = 2

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxMembers = "max_members", maxBytes = "max_bytes", maxRatio = "max_ratio", maxDepth = "max_depth"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxMembers = try container.decodeIfPresent(Int.self, forKey: .maxMembers) ?? maxMembers
        maxBytes = try container.decodeIfPresent(Int64.self, forKey: .maxBytes) ?? maxBytes
        maxRatio = try container.decodeIfPresent(Int64.self, forKey: .maxRatio) ?? maxRatio
        maxDepth = try container.decodeIfPresent(Int.self, forKey: .maxDepth) ?? maxDepth
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
    /// Under `skip_rows`: more errors than this rejects the file after all.
    public var maxErrors: ErrorLimit?
    /// One character: `,` `;` `|` or `\t`.
    public var delimiter: String
    public var encoding: TextEncoding
    /// XSD file name (in the schema folder) that XML files of this feed must satisfy.
    public var schema: String?
    /// When set, a file is ready once `NAME + done_marker` exists (e.g. `.done`, `.ok`),
    /// without waiting for the settle window; the marker is removed after the claim.
    public var doneMarker: String?
    /// Higher runs first; `nil` takes the job kind's priority (`job_kinds`).
    public var priority: Int?
    /// Header aliases: partner's name → layout column name.
    public var columnAliases: [String: String]
    /// A CSV whose last record has no line break is most likely a cut upload: that record is
    /// refused with `file.incomplete_upload`. Off for partners whose exports end without one.
    public var requireFinalNewline = true

    public init(name: String, pattern: String, kind: JobKindName = .claimsImport, format: FileFormat = .csv,
                errorPolicy: ErrorPolicy = .abort, maxErrors: ErrorLimit? = nil, delimiter: String = ",",
                encoding: TextEncoding = .utf8, schema: String? = nil, doneMarker: String? = nil,
                priority: Int? = nil, columnAliases: [String: String] = [:]) {
        self.name = name
        self.pattern = pattern
        self.kind = kind
        self.format = format
        self.errorPolicy = errorPolicy
        self.maxErrors = maxErrors
        self.delimiter = delimiter
        self.encoding = encoding
        self.schema = schema
        self.doneMarker = doneMarker
        self.priority = priority
        self.columnAliases = columnAliases
    }

    public static let defaultClaims = FeedRule(name: "claims", pattern: "*.csv")
    /// Used when no feed matches but the content looks like XML claims (sniffed).
    public static let sniffedXML = FeedRule(name: "sniffed-xml", pattern: "", format: .xml, schema: "claims-v1.xsd")

    public func matches(_ fileName: String) -> Bool { Glob.matches(pattern, fileName) }

    enum CodingKeys: String, CodingKey {
        case name, pattern, kind, format, errorPolicy = "error_policy", maxErrors = "max_errors", delimiter, encoding, schema
        case doneMarker = "done_marker", priority, columnAliases = "column_aliases", requireFinalNewline = "require_final_newline"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        pattern = try container.decode(String.self, forKey: .pattern)
        format = try container.decodeIfPresent(FileFormat.self, forKey: .format) ?? .csv
        kind = try container.decodeIfPresent(JobKindName.self, forKey: .kind) ?? (format == .archive ? .archive : .claimsImport)
        errorPolicy = try container.decodeIfPresent(ErrorPolicy.self, forKey: .errorPolicy) ?? .abort
        maxErrors = try container.decodeIfPresent(ErrorLimit.self, forKey: .maxErrors)
        delimiter = try container.decodeIfPresent(String.self, forKey: .delimiter) ?? ","
        encoding = try container.decodeIfPresent(TextEncoding.self, forKey: .encoding) ?? .utf8
        schema = try container.decodeIfPresent(String.self, forKey: .schema)
        doneMarker = try container.decodeIfPresent(String.self, forKey: .doneMarker)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        columnAliases = try container.decodeIfPresent([String: String].self, forKey: .columnAliases) ?? [:]
        requireFinalNewline = try container.decodeIfPresent(Bool.self, forKey: .requireFinalNewline) ?? true
    }
}

/// `max_errors`: a count (`25`) or a share of the rows read (`"2%"`).
public enum ErrorLimit: Sendable, Equatable, Codable {
    case count(Int)
    case percent(Double)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self), count >= 0 {
            self = .count(count)
            return
        }
        let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix("%"), let value = Double(text.dropLast()), value >= 0, value <= 100 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "max_errors must be a whole number or a percentage like \"2%\"")
        }
        self = .percent(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .count(let count): try container.encode(count)
        case .percent(let value): try container.encode("\(value)%")
        }
    }

    /// True when `errors` bad rows out of `rows` go past the limit.
    public func isExceeded(errors: Int, rows: Int) -> Bool {
        switch self {
        case .count(let limit): return errors > limit
        case .percent(let share): return rows > 0 && Double(errors) * 100 > share * Double(rows)
        }
    }

    public var description: String {
        switch self {
        case .count(let count): return "\(count) errors"
        case .percent(let value): return "\(value)% of rows"
        }
    }
}

/// Text encodings a CSV feed may declare. UTF-8 is strict; the others are converted.
public enum TextEncoding: String, Sendable, Codable, Equatable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    case latin1 = "latin-1"
}

public enum FileFormat: String, Sendable, Codable, Equatable {
    case csv
    case xml
    /// zip, tar, tar.gz, tar.bz2, tar.xz, tar.zst: members become child jobs.
    case archive
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
    /// Unpacks an archive safely; each member becomes a child job.
    case archive
    /// A file that matches none of its partner's feeds: rejected with the list of feeds.
    case unroutable
    /// A staff report written to `outbox/staff/` (scheduled, no input file).
    case report
    case patientsImport = "patients_import"
    case payersImport = "payers_import"
    case rentalsImport = "rentals_import"
    case feeScheduleImport = "fee_schedule_import"
    case remittanceImport = "remittance_import"
    case itemsImport = "items_import"
    case stockMovementsImport = "stock_movements_import"
    case inventoryCountImport = "inventory_count_import"
    /// Monthly rental billing (`intake bill`, schedulable; params `month`).
    case rentalBilling = "rental_billing"
    /// Patient statements for a month (`intake statements`, schedulable; params `month`).
    case statements
    /// Does nothing and succeeds: measures the queue itself (`intake enqueue-noop`, benchmarks).
    case noop
}

/// Shell-style matching through `fnmatch(3)`.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PERIOD) == 0 || (pattern.hasPrefix(".") && fnmatch(pattern, name, 0) == 0)
    }
}
