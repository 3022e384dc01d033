import Foundation

/// Polls `inbox/<partner>/` folders and claims the files that are ready: the file and its job
/// are recorded first, then the file is renamed into `work/<job>/`. A crash between the two is
/// repaired by `Recovery`.
///
/// Ready means settled (size and mtime unchanged for the settle window, from first sighting),
/// or, for a feed with a done-marker, that the marker exists. At most `max_claims_per_poll`
/// files are claimed per poll, taken from the partners in turn, and a partner over its
/// `files_per_hour` waits: the excess stays in the inbox, it is never dropped.
final class InboxWatcher {
    struct Claimed { let file: Int64; let job: Int64; let partner: String; let name: String }
    struct Candidate { let partner: String; let name: String; let path: String; let size: Int64; let marker: String? }

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
    /// Files seen in inboxes that are not ready yet (a file waiting for its done-marker is
    /// not counted, so `run --once` does not wait for a marker that may never come).
    var unsettledCount: Int { tracker.pendingCount }

    /// One poll of every inbox: claims what is ready, returns what was claimed.
    func poll(now: Double = epochNow()) -> [Claimed] {
        var seen = Set<String>()
        var ready: [[Candidate]] = []
        for partner in FileSystem.list(spool.inbox) where Spool.isValidPartnerName(partner) {
            let folder = spool.inbox(partner: partner)
            guard FileSystem.status(folder)?.isDirectory == true else { continue }
            let names = FileSystem.list(folder)
            let markers = Set(config.feeds(for: partner).compactMap(\.doneMarker))
            let present = Set(names)
            var partnerReady: [Candidate] = []
            for name in names where !config.isIgnored(name) {
                // A done-marker is a signal, never data.
                if markers.contains(where: { name.hasSuffix($0) && name.count > $0.count }) { continue }
                let path = "\(folder)/\(name)"
                guard let status = FileSystem.status(path), status.isRegularFile else { continue }
                let marker = config.feed(for: partner, fileName: name)?.doneMarker.map { name + $0 }
                if let marker, !present.contains(marker) { continue }
                seen.insert(path)
                let settled = tracker.observe(path, size: status.size, modified: status.modifiedNanoseconds, now: now)
                guard settled || marker != nil else { continue }
                // Quiet is not finished: an SFTP server that still holds the file open for
                // writing is mid-upload, however long it has paused.
                if marker == nil && OpenFileDetector.isOpenForWriting(path) {
                    tracker.touch(path, now: now)
                    continue
                }
                partnerReady.append(Candidate(partner: partner, name: name, path: path, size: status.size, marker: marker))
            }
            if !partnerReady.isEmpty { ready.append(partnerReady) }
        }
        var claimed: [Claimed] = []
        var allowance = config.maxClaimsPerPoll
        var hourlyRoom: [String: Int] = [:]
        // Partners in turn: the first ready file of each, then the second of each, ...
        var round = 0
        while allowance > 0 && ready.contains(where: { $0.count > round }) {
            for files in ready where files.count > round && allowance > 0 {
                let candidate = files[round]
                if let limit = config.partnerLimits[candidate.partner]?.filesPerHour {
                    let room = hourlyRoom[candidate.partner] ?? max(0, limit - ((try? store.filesClaimedInLastHour(partner: candidate.partner, now: now)) ?? 0))
                    guard room > 0 else { continue }
                    hourlyRoom[candidate.partner] = room - 1
                }
                if let result = claim(candidate, now: now) {
                    claimed.append(result)
                    seen.remove(candidate.path)
                    allowance -= 1
                    if let marker = candidate.marker { FileSystem.remove("\(spool.inbox(partner: candidate.partner))/\(marker)") }
                }
            }
            round += 1
        }
        tracker.keepOnly(seen)
        return claimed
    }

    private func claim(_ candidate: Candidate, now: Double) -> Claimed? {
        let feed = FeedRouter(config: config).feed(partner: candidate.partner, fileName: candidate.name, path: candidate.path)
        do {
            let ids = try store.recordDiscoveredFile(partner: candidate.partner, name: candidate.name, inboxPath: spool.relative(candidate.path),
                                                     size: candidate.size, feed: feed, settings: config.settings(for: feed.kind),
                                                     maxAttempts: config.maxAttempts(for: feed.kind),
                                                     firstSeen: tracker.firstSeen(candidate.path) ?? now, now: now)
            try moveIntoWork(from: candidate.path, to: spool.absolute(ids.workPath))
            try store.markFileClaimed(ids.file)
            tracker.forget(candidate.path)
            log.info("file claimed", ["partner": candidate.partner, "file": candidate.name, "bytes": "\(candidate.size)", "job": "\(ids.job)", "feed": feed.name])
            return Claimed(file: ids.file, job: ids.job, partner: candidate.partner, name: candidate.name)
        } catch {
            // Left in the inbox (or repaired at start-up); tried again at the next poll.
            log.error("claim failed", ["partner": candidate.partner, "file": candidate.name, "error": "\(error)"])
            return nil
        }
    }

    func moveIntoWork(from source: String, to target: String) throws {
        try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
        try FileSystem.rename(source, to: target)
    }
}
