/// Per job kind: attempts, time limit and default priority (`job_kinds` in the file).
public struct KindSettings: Sendable, Equatable {
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

}

/// What `job_kinds.<kind>` in the file sets; keys left out keep the kind's defaults.
public struct KindOverrides: Sendable, Equatable, Decodable {
    public var maxAttempts: Int?
    public var timeoutSeconds: Double?
    public var priority: Int?

    public init(maxAttempts: Int? = nil, timeoutSeconds: Double? = nil, priority: Int? = nil) {
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.priority = priority
    }

    enum CodingKeys: String, CodingKey {
        case maxAttempts = "max_attempts", timeoutSeconds = "timeout_seconds", priority
    }
}

extension IntakeConfig {
    /// The settings in force for `kind`: the file's, else the defaults.
    public func settings(for kind: JobKindName) -> KindSettings {
        var settings = KindSettings.defaults(for: kind)
        if let overrides = kinds[kind.rawValue] {
            settings.maxAttempts = overrides.maxAttempts ?? settings.maxAttempts
            settings.timeoutSeconds = overrides.timeoutSeconds ?? settings.timeoutSeconds
            settings.priority = overrides.priority ?? settings.priority
        }
        return settings
    }

    /// A feed's priority, else its kind's.
    public func priority(of feed: FeedRule) -> Int {
        feed.priority ?? settings(for: feed.kind).priority
    }

    public func maxAttempts(for kind: JobKindName) -> Int {
        settings(for: kind).maxAttempts ?? maxAttempts
    }
}
