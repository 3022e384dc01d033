import Foundation

/// `NAME.result.json`: the partner's answer for one input file, written for every file.
/// Layout documented in `Docs/manifests.md`; `manifest_version` changes only for breaking edits.
public struct ResultManifest: Codable, Sendable {
    public struct FileInfo: Codable, Sendable {
        public var id: Int64
        public var name: String
        public var partner: String
        public var feed: String?
        public var sha256: String?
        public var bytes: Int64
        public var stored_as: String?
    }
    public struct Counts: Codable, Sendable {
        public var rows_read: Int
        public var rows_loaded: Int
        public var rows_rejected: Int
        public var rows_skipped: Int
        public var errors: Int
    }
    public struct Timings: Codable, Sendable {
        public var discovered_at: String
        public var claimed_at: String?
        public var started_at: String?
        public var finished_at: String?
        public var processing_ms: Int?
    }
    public struct DuplicateOf: Codable, Sendable {
        public var file_id: Int64
        public var name: String
        public var job_id: Int64?
        public var finished_at: String?
    }

    /// One member of an archive, with a pointer to its own manifest.
    public struct Member: Codable, Sendable {
        public var path: String
        public var job_id: Int64
        public var state: String
        public var rows_loaded: Int
        public var rows_rejected: Int
        public var errors: Int
        public var error_code: String?
        public var manifest: String?
    }

    public var manifest_version = 1
    public var file: FileInfo
    public var job_ids: [Int64]
    public var state: String
    public var message: String
    public var counts: Counts
    public var timings: Timings
    public var outputs: [String]
    public var errors_by_code: [String: Int]
    /// The first errors, as in `errors.csv` (at most `errorsInJSON`).
    public var errors: [RowError]
    public var errors_truncated: Bool
    public var duplicate_of: DuplicateOf?
    /// For an archive: its members' outcomes.
    public var members: [Member]?

    /// Errors repeated in the JSON; the CSV lists up to `max_listed_errors`.
    public static let errorsInJSON = 1000

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

/// ISO 8601 UTC with milliseconds, for manifests and the command line.
public func isoTimestamp(_ epochSeconds: Double) -> String {
    let date = Date(timeIntervalSince1970: epochSeconds)
    return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
}
