/// A job started by the clock (`schedules` in the file).
public struct Schedule: Sendable, Equatable, Codable {
    public var name: String
    /// Five-field cron expression, in UTC (`0 6 * * *` is 06:00 every day).
    public var cron: String
    public var kind: JobKindName
    /// What to do with slots missed while the daemon was stopped: run only the `latest`, or `all`.
    public var catchUp: CatchUp
    /// Passed to the job (for a report: `{ "report": "operations" }`).
    public var params: [String: String]

    public enum CatchUp: String, Sendable, Codable, Equatable { case latest, all }

    public init(name: String, cron: String, kind: JobKindName, catchUp: CatchUp = .latest, params: [String: String] = [:]) {
        self.name = name
        self.cron = cron
        self.kind = kind
        self.catchUp = catchUp
        self.params = params
    }

    enum CodingKeys: String, CodingKey { case name, cron, kind, catchUp = "catch_up", params }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cron = try container.decode(String.self, forKey: .cron)
        kind = try container.decodeIfPresent(JobKindName.self, forKey: .kind) ?? .report
        catchUp = try container.decodeIfPresent(CatchUp.self, forKey: .catchUp) ?? .latest
        params = try container.decodeIfPresent([String: String].self, forKey: .params) ?? [:]
    }
}

/// A drop a partner is expected to make (`expected_drops` in the file): a file matching
/// `pattern` in the partner's inbox after each `cron` slot, within `grace_minutes`.
public struct ExpectedDrop: Sendable, Equatable, Codable {
    public var partner: String
    public var pattern: String
    public var cron: String
    public var graceMinutes: Double

    public init(partner: String, pattern: String, cron: String, graceMinutes: Double = 60) {
        self.partner = partner
        self.pattern = pattern
        self.cron = cron
        self.graceMinutes = graceMinutes
    }

    enum CodingKeys: String, CodingKey { case partner, pattern, cron, graceMinutes = "grace_minutes" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        partner = try container.decode(String.self, forKey: .partner)
        pattern = try container.decode(String.self, forKey: .pattern)
        cron = try container.decode(String.self, forKey: .cron)
        graceMinutes = try container.decodeIfPresent(Double.self, forKey: .graceMinutes) ?? 60
    }
}

/// Per-partner limits (`partner_limits` in the file).
public struct PartnerLimits: Sendable, Equatable, Codable {
    /// Larger files are rejected with `file.too_large`.
    public var maxFileBytes: Int64?
    /// Files with more records are rejected with `file.too_many_rows`.
    public var maxRows: Int?
    /// Files claimed per hour; the excess waits in the inbox (it is not dropped).
    public var filesPerHour: Int?
    /// Jobs of this partner running at once.
    public var concurrentJobs: Int?

    public init(maxFileBytes: Int64? = nil, maxRows: Int? = nil, filesPerHour: Int? = nil, concurrentJobs: Int? = nil) {
        self.maxFileBytes = maxFileBytes
        self.maxRows = maxRows
        self.filesPerHour = filesPerHour
        self.concurrentJobs = concurrentJobs
    }

    enum CodingKeys: String, CodingKey {
        case maxFileBytes = "max_file_bytes", maxRows = "max_rows", filesPerHour = "files_per_hour", concurrentJobs = "concurrent_jobs"
    }
}
