/// Decides when a file in an inbox has stopped changing.
///
/// A file is settled when its size and mtime have not changed for the settle window, counted
/// from when Intake first saw it: an SFTP client may set an old mtime, so the file's own mtime
/// says nothing about when it arrived.
public struct SettleTracker: Sendable {
    struct Observation: Sendable {
        var size: Int64
        var modified: Int64
        var firstSeen: Double
        var lastChange: Double
    }

    public let window: Double
    private var observations: [String: Observation] = [:]

    public init(window: Double) { self.window = window }

    /// Records what was seen of `path` at `now`; true when it is settled.
    public mutating func observe(_ path: String, size: Int64, modified: Int64, now: Double) -> Bool {
        guard var seen = observations[path] else {
            observations[path] = Observation(size: size, modified: modified, firstSeen: now, lastChange: now)
            return window <= 0
        }
        if seen.size != size || seen.modified != modified {
            seen.size = size
            seen.modified = modified
            seen.lastChange = now
            observations[path] = seen
            return false
        }
        return now - seen.lastChange >= window
    }

    public func firstSeen(_ path: String) -> Double? { observations[path]?.firstSeen }

    /// Restarts the window (the file turned out to be still open for writing).
    public mutating func touch(_ path: String, now: Double) {
        observations[path]?.lastChange = now
    }

    /// Forgets paths that are gone (claimed, renamed or deleted by the partner).
    public mutating func keepOnly(_ paths: Set<String>) {
        observations = observations.filter { paths.contains($0.key) }
    }

    public mutating func forget(_ path: String) { observations[path] = nil }

    /// Files seen but not yet settled.
    public var pendingCount: Int { observations.count }
}
