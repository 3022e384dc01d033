import Foundation

/// Polls `inbox/<partner>/` folders and claims the files that have settled: the file and its
/// job are recorded first, then the file is renamed into `work/<job>/`. A crash between the two
/// is repaired by `Recovery`.
final class InboxWatcher {
    struct Claimed { let file: Int64; let job: Int64; let partner: String; let name: String }

    private let store: IntakeStore
    private let config: IntakeConfig
    private let log: Log
    private var tracker: SettleTracker

    init(store: IntakeStore, config: IntakeConfig, log: Log) {
        self.store = store
        self.config = config
        self.log = log
        tracker = SettleTracker(window: config.settleSeconds)
    }

    var spool: Spool { store.spool }
    /// Files seen in inboxes that have not settled yet.
    var unsettledCount: Int { tracker.pendingCount }

    /// One poll of every inbox: claims what has settled, returns what was claimed.
    func poll(now: Double = epochNow()) -> [Claimed] {
        var seen = Set<String>()
        var claimed: [Claimed] = []
        for partner in FileSystem.list(spool.inbox) where Spool.isValidPartnerName(partner) {
            let folder = spool.inbox(partner: partner)
            guard FileSystem.status(folder)?.isDirectory == true else { continue }
            let names = FileSystem.list(folder)
            let markers = Set(config.feeds(for: partner).compactMap(\.doneMarker))
            let present = Set(names)
            for name in names where !config.isIgnored(name) {
                // A done-marker is a signal, never data.
                if markers.contains(where: { name.hasSuffix($0) && name.count > $0.count }) { continue }
                let path = "\(folder)/\(name)"
                guard let status = FileSystem.status(path), status.isRegularFile else { continue }
                seen.insert(path)
                let marker = config.feed(for: partner, fileName: name)?.doneMarker.map { name + $0 }
                if let marker {
                    // The feed says when the upload is complete: the marker exists. Until then the
                    // file is not tracked, so `run --once` does not wait for a marker that may
                    // never come.
                    guard present.contains(marker) else { continue }
                    _ = tracker.observe(path, size: status.size, modified: status.modifiedNanoseconds, now: now)
                } else {
                    guard tracker.observe(path, size: status.size, modified: status.modifiedNanoseconds, now: now) else { continue }
                }
                if let result = claim(partner: partner, name: name, path: path, size: status.size, now: now) {
                    claimed.append(result)
                    seen.remove(path)
                    if let marker { FileSystem.remove("\(folder)/\(marker)") }
                }
            }
        }
        tracker.keepOnly(seen)
        return claimed
    }

    private func claim(partner: String, name: String, path: String, size: Int64, now: Double) -> Claimed? {
        let feed = FeedRouter(config: config).feed(partner: partner, fileName: name, path: path)
        do {
            let ids = try store.recordDiscoveredFile(partner: partner, name: name, inboxPath: spool.relative(path), size: size,
                                                     feed: feed, maxAttempts: config.maxAttempts,
                                                     firstSeen: tracker.firstSeen(path) ?? now, now: now)
            try moveIntoWork(from: path, to: spool.absolute(ids.workPath))
            try store.markFileClaimed(ids.file)
            tracker.forget(path)
            log.info("file claimed", ["partner": partner, "file": name, "bytes": "\(size)", "job": "\(ids.job)", "feed": feed.name])
            return Claimed(file: ids.file, job: ids.job, partner: partner, name: name)
        } catch {
            // Left in the inbox (or repaired at start-up); tried again at the next poll.
            log.error("claim failed", ["partner": partner, "file": name, "error": "\(error)"])
            return nil
        }
    }

    func moveIntoWork(from source: String, to target: String) throws {
        try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
        try FileSystem.rename(source, to: target)
    }
}
