/// Per job kind: attempts, time limit and default priority (`job_kinds` in the file).
public struct KindSettings: Sendable, Equatable, Codable {
    /// Attempts for transient failures; `nil` uses the global `max_attempts`.
    public var maxAttempts: Int?
    /// Past this a running job is cancelled and ends `timed_out`.
    public var timeoutSeconds: Double
    /// Used when the feed sets none; higher runs first.
    public var priority: Int

    public init(maxAttempts: Int? = nil, timeoutSeconds: Double = 3600, priority: Int = 100) {
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.priority = priority
    }

    /// Claims and remittances before reports.
    public static func defaults(for kind: JobKindName) -> KindSettings {
        switch kind {
        case .claimsImport, .remittanceImport, .archive, .unroutable: return KindSettings(priority: 100)
        case .report, .statements: return KindSettings(priority: 10)
        default: return KindSettings(priority: 50)
        }
    }

    enum CodingKeys: String, CodingKey {
        case maxAttempts = "max_attempts", timeoutSeconds = "timeout_seconds", priority
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 3600
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 100
    }
}

extension IntakeConfig {
    /// The settings in force for `kind`: the file's, else the defaults.
    public func settings(for kind: JobKindName) -> KindSettings {
        kinds[kind.rawValue] ?? KindSettings.defaults(for: kind)
    }

    public func maxAttempts(for kind: JobKindName) -> Int {
        settings(for: kind).maxAttempts ?? maxAttempts
    }
}
