import Foundation

/// A configuration that could not be read or does not make sense, naming the key and the file.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public var description: String { "configuration \(path): \(message)" }
}

extension IntakeConfig: Decodable {
    enum CodingKeys: String, CodingKey {
        case pollIntervalSeconds = "poll_interval_seconds", settleSeconds = "settle_seconds", workers
        case leaseSeconds = "lease_seconds", shutdownGraceSeconds = "shutdown_grace_seconds"
        case maxAttempts = "max_attempts", retryBaseSeconds = "retry_base_seconds"
        case ignorePatterns = "ignore_patterns", maxListedErrors = "max_listed_errors"
        case defaultFeeds = "default_feeds", partners, archiveLimits = "archive_limits"
        case kinds = "job_kinds", partnerLimits = "partner_limits", minFreeDiskBytes = "min_free_disk_bytes"
        case maxClaimsPerPoll = "max_claims_per_poll", minWorkers = "min_workers", schedules, expectedDrops = "expected_drops"
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pollIntervalSeconds = try container.decodeIfPresent(Double.self, forKey: .pollIntervalSeconds) ?? pollIntervalSeconds
        settleSeconds = try container.decodeIfPresent(Double.self, forKey: .settleSeconds) ?? settleSeconds
        workers = try container.decodeIfPresent(Int.self, forKey: .workers) ?? workers
        leaseSeconds = try container.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? leaseSeconds
        shutdownGraceSeconds = try container.decodeIfPresent(Double.self, forKey: .shutdownGraceSeconds) ?? shutdownGraceSeconds
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
        retryBaseSeconds = try container.decodeIfPresent(Double.self, forKey: .retryBaseSeconds) ?? retryBaseSeconds
        ignorePatterns = try container.decodeIfPresent([String].self, forKey: .ignorePatterns) ?? ignorePatterns
        maxListedErrors = try container.decodeIfPresent(Int.self, forKey: .maxListedErrors) ?? maxListedErrors
        defaultFeeds = try container.decodeIfPresent([FeedRule].self, forKey: .defaultFeeds) ?? defaultFeeds
        partners = try container.decodeIfPresent([String: PartnerConfig].self, forKey: .partners) ?? partners
        archiveLimits = try container.decodeIfPresent(ArchiveLimits.self, forKey: .archiveLimits) ?? archiveLimits
        kinds = try container.decodeIfPresent([String: KindOverrides].self, forKey: .kinds) ?? kinds
        partnerLimits = try container.decodeIfPresent([String: PartnerLimits].self, forKey: .partnerLimits) ?? partnerLimits
        minFreeDiskBytes = try container.decodeIfPresent(Int64.self, forKey: .minFreeDiskBytes) ?? minFreeDiskBytes
        maxClaimsPerPoll = try container.decodeIfPresent(Int.self, forKey: .maxClaimsPerPoll) ?? maxClaimsPerPoll
        minWorkers = try container.decodeIfPresent(Int.self, forKey: .minWorkers) ?? min(minWorkers, workers)
        schedules = try container.decodeIfPresent([Schedule].self, forKey: .schedules) ?? schedules
        expectedDrops = try container.decodeIfPresent([ExpectedDrop].self, forKey: .expectedDrops) ?? expectedDrops
    }

    /// Reads and validates a JSON5 configuration file.
    public static func load(path: String) throws(ConfigError) -> IntakeConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(path: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        let config: IntakeConfig
        do {
            config = try decoder.decode(IntakeConfig.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ConfigError(path: path, message: "key \(keyPath(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigError(path: path, message: "key \(keyPath(context.codingPath + [key])) is required")
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw ConfigError(path: path, message: "key \(keyPath(context.codingPath)): \(detail ?? context.debugDescription)")
        } catch {
            throw ConfigError(path: path, message: "\(error)")
        }
        try config.validate(path: path)
        return config
    }

    /// Checks values that decode but make no sense, with the key that holds them.
    public func validate(path: String) throws(ConfigError) {
        func require(_ condition: Bool, _ message: String) throws(ConfigError) {
            if !condition { throw ConfigError(path: path, message: message) }
        }
        try require(pollIntervalSeconds > 0 && pollIntervalSeconds <= 3600, "poll_interval_seconds must be between 0 and 3600")
        try require(settleSeconds >= 0 && settleSeconds <= 86_400, "settle_seconds must be between 0 and 86400")
        try require((1...256).contains(workers), "workers must be between 1 and 256")
        try require(leaseSeconds >= 5, "lease_seconds must be at least 5")
        try require(shutdownGraceSeconds >= 0, "shutdown_grace_seconds must not be negative")
        try require((1...100).contains(maxAttempts), "max_attempts must be between 1 and 100")
        try require(maxListedErrors >= 1, "max_listed_errors must be at least 1")
        try require(archiveLimits.maxMembers >= 1 && archiveLimits.maxBytes >= 1 && archiveLimits.maxRatio >= 1 && archiveLimits.maxDepth >= 1,
                    "archive_limits values must be at least 1")
        try require((1...workers).contains(minWorkers), "min_workers must be between 1 and workers (\(workers))")
        try require(maxClaimsPerPoll >= 1, "max_claims_per_poll must be at least 1")
        for name in kinds.keys {
            try require(JobKindName(rawValue: name) != nil, "job_kinds.\(name): no such job kind (kinds: \(JobKindName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for (name, settings) in kinds {
            try require((settings.timeoutSeconds ?? 1) > 0, "job_kinds.\(name).timeout_seconds must be positive")
            try require((settings.maxAttempts ?? 1) >= 1, "job_kinds.\(name).max_attempts must be at least 1")
        }
        let schedulable: Set<JobKindName> = [.report, .rentalBilling, .statements]
        for schedule in schedules {
            try require(schedulable.contains(schedule.kind), "schedules \(schedule.name): kind \(schedule.kind.rawValue) cannot be scheduled (it needs an input file); use report, rental_billing or statements")
            do { _ = try CronExpression(schedule.cron) } catch {
                throw ConfigError(path: path, message: "schedules \(schedule.name): \(error)")
            }
        }
        for drop in expectedDrops {
            do { _ = try CronExpression(drop.cron) } catch {
                throw ConfigError(path: path, message: "expected_drops \(drop.partner) \(drop.pattern): \(error)")
            }
        }
        for name in partners.keys {
            try require(Spool.isValidPartnerName(name), "partners.\(name): a partner name is a folder name: letters, digits, '-', '_' and '.', not starting with '.'")
        }
        let allFeeds = defaultFeeds.map { ("default_feeds", $0) } + partners.flatMap { partner in (partner.value.feeds ?? []).map { ("partners.\(partner.key).feeds", $0) } }
        for (key, feed) in allFeeds {
            try require(feed.delimiter.utf8.count == 1, "\(key) \(feed.name): delimiter must be one character, got \"\(feed.delimiter)\"")
            try require(!feed.pattern.isEmpty, "\(key) \(feed.name): pattern must not be empty")
            try require(feed.doneMarker.map { !$0.isEmpty } ?? true, "\(key) \(feed.name): done_marker must not be empty (leave it out instead)")
        }
    }
}

private func keyPath(_ path: [any CodingKey]) -> String {
    path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
}
