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
        var chosen: [Candidate] = []
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
                chosen.append(candidate)
                allowance -= 1
            }
            round += 1
        }
        let claimed = claim(chosen, now: now)
        for result in claimed {
            seen.remove(result.candidate.path)
            if let marker = result.candidate.marker { FileSystem.remove("\(spool.inbox(partner: result.candidate.partner))/\(marker)") }
        }
        tracker.keepOnly(seen)
        return claimed.map(\.claimed)
    }

    /// Claims the chosen files together: one commit records every file and its job, the
    /// renames into `work/` follow, one sync of the disk makes them all durable, and one
    /// commit marks them claimed. A burst of small files then costs two commits a poll, not
    /// two commits and a folder sync a file. If the batch cannot be recorded (one file's row
    /// refused), each file is claimed on its own, so one bad name holds back no other.
    private func claim(_ candidates: [Candidate], now: Double) -> [(candidate: Candidate, claimed: Claimed)] {
        guard candidates.count > 1 else { return candidates.compactMap { one in claim(one, now: now).map { (one, $0) } } }
        let routed = candidates.map { (candidate: $0, feed: FeedRouter(config: config).feed(partner: $0.partner, fileName: $0.name, path: $0.path)) }
        let recorded: [(candidate: Candidate, feed: FeedRule, ids: (file: Int64, job: Int64, workPath: String))]
        do {
            recorded = try store.transaction {
                try routed.map { entry in (entry.candidate, entry.feed, try record(entry.candidate, feed: entry.feed, now: now)) }
            }
        } catch {
            log.warning("batch claim failed; claiming one file at a time", ["files": "\(candidates.count)", "error": "\(error)"])
            return candidates.compactMap { one in claim(one, now: now).map { (one, $0) } }
        }
        var moved: [(candidate: Candidate, feed: FeedRule, ids: (file: Int64, job: Int64, workPath: String))] = []
        for entry in recorded {
            do {
                try moveIntoWork(from: entry.candidate.path, to: spool.absolute(entry.ids.workPath), syncing: false)
                moved.append(entry)
            } catch {
                // Left in the inbox with its rows `claiming` (repaired at start-up); tried again at the next poll.
                log.error("claim failed", ["partner": entry.candidate.partner, "file": entry.candidate.name, "error": "\(error)"])
            }
        }
        guard !moved.isEmpty else { return [] }
        do {
            // Like the folder sync of a single claim, a failed sync does not undo the claims.
            try FileSystem.syncFilesystem(containing: spool.work)
        } catch {
            log.warning("could not sync the claimed files to disk", ["files": "\(moved.count)", "error": "\(error)"])
        }
        do {
            try store.transaction {
                for entry in moved { try store.markFileClaimed(entry.ids.file) }
            }
        } catch {
            // In work/ but not marked claimed: start-up recovery finishes the claim.
            log.error("claim failed", ["files": "\(moved.count)", "error": "\(error)"])
            return []
        }
        return moved.map { entry in
            tracker.forget(entry.candidate.path)
            log.info("file claimed", ["partner": entry.candidate.partner, "file": entry.candidate.name, "bytes": "\(entry.candidate.size)",
                                      "job": "\(entry.ids.job)", "feed": entry.feed.name])
            return (entry.candidate, Claimed(file: entry.ids.file, job: entry.ids.job, partner: entry.candidate.partner, name: entry.candidate.name))
        }
    }

    private func claim(_ candidate: Candidate, now: Double) -> Claimed? {
        let feed = FeedRouter(config: config).feed(partner: candidate.partner, fileName: candidate.name, path: candidate.path)
        do {
            let ids = try record(candidate, feed: feed, now: now)
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

    private func record(_ candidate: Candidate, feed: FeedRule, now: Double) throws -> (file: Int64, job: Int64, workPath: String) {
        try store.recordDiscoveredFile(partner: candidate.partner, name: candidate.name, inboxPath: spool.relative(candidate.path),
                                       size: candidate.size, feed: feed, settings: config.settings(for: feed.kind),
                                       maxAttempts: config.maxAttempts(for: feed.kind),
                                       firstSeen: tracker.firstSeen(candidate.path) ?? now, now: now)
    }

    func moveIntoWork(from source: String, to target: String, syncing: Bool = true) throws {
        try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
        try FileSystem.rename(source, to: target, syncingFolder: syncing)
    }
}
