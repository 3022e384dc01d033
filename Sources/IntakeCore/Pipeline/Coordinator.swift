import Foundation
import Glibc

/// The supervisor's side that touches the database: one connection, the inbox watcher, the
/// scheduler. It lives on its own queue (`ThreadConfined`), never on the event loop.
final class Coordinator {
    let store: IntakeStore
    let watcher: InboxWatcher
    let scheduler: Scheduler
    let config: IntakeConfig
    let log: Log
    let daemonID: String
    private var lastDropCheck = 0.0
    private var stats = StatsWriter()

    init(store: IntakeStore, config: IntakeConfig, log: Log, daemonID: String) {
        self.store = store
        self.config = config
        self.log = log
        self.daemonID = daemonID
        watcher = InboxWatcher(store: store, config: config, log: log)
        scheduler = Scheduler(store: store, config: config, log: log)
    }

    struct Request: Sendable {
        var poll: Bool
        /// Free slots (index, worker id) the pass may fill.
        var offered: [(index: Int, id: String)]
        var heartbeat: Bool
        var checkIdle: Bool
        var running: [Int64]
        var slotIDs: [String]
        /// Slots running a job when the pass was asked for (their chained claims are theirs).
        var busySlotIDs: Set<String>
    }

    struct Result: Sendable {
        var claimed: [(slot: Int, job: JobRecord)] = []
        var isIdle = false
        var cancelRequests: [Int64: String] = [:]
    }

    /// One pass; every step logs and survives its own failure, so a busy database in one step
    /// never loses what another step did (jobs claimed are always handed back).
    func pass(_ request: Request) -> Result {
        var result = Result()
        let now = epochNow()
        let diskIsLow = checkDisk(now: now)
        if request.poll && !diskIsLow { _ = watcher.poll(now: now) }
        step("scheduling") { _ = try scheduler.startDueJobs(now: now) }
        step("claiming jobs") {
            guard try store.hasRunnableJobs(now: now) else { return }
            let running = try store.connection.fetchInt("SELECT count(*) FROM jobs WHERE state = 'running'") ?? 0
            // Counted up to the pool size: enough to size the pool, cheap on a long queue.
            let backlog = try store.connection.fetchInt("SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued' AND run_after <= ? LIMIT ?)", now, config.workers) ?? 0
            // Grow with the backlog, from min_workers up to workers.
            let target = max(config.minWorkers, min(config.workers, Int(running + backlog)))
            let room = max(0, target - Int(running))
            for slot in request.offered.prefix(room) {
                guard let job = try store.claimNextJob(owner: slot.id, leaseSeconds: config.leaseSeconds, now: epochNow(),
                                                       partnerLimit: { self.config.partnerLimits[$0]?.concurrentJobs }) else { break }
                result.claimed.append((slot.index, job))
            }
            stats.set("workers_active", Double(Int(running) + result.claimed.count))
            stats.raise("peak_running", Double(Int(running) + result.claimed.count))
        }
        step("recording daemon stats") { try stats.flush(to: store, now: now) }
        step("reading cancel requests") { result.cancelRequests = try store.cancelRequests(among: request.running) }
        step("requeueing orphaned jobs") {
            // A worker that could not record its job's outcome (the disk was full, the database
            // failed) leaves the job `running` with no one working on it: queue it again.
            let busy = Set(request.running).union(result.claimed.map(\.job.id))
            let orphans = try store.requeueOrphans(ownerPrefix: daemonID + "/", except: busy, busyOwners: request.busySlotIDs,
                                                   retryAfter: config.retryBaseSeconds, now: now)
            if !orphans.isEmpty { log.warning("requeued jobs whose worker could not record an outcome", ["jobs": orphans.map(String.init).joined(separator: ",")]) }
        }
        if request.heartbeat {
            step("heartbeat") {
                for id in request.slotIDs { try store.extendLeases(owner: id, leaseSeconds: config.leaseSeconds, now: now) }
                try store.heartbeat(daemon: daemonID, now: now)
                let swept = try store.requeueExpiredLeases(exceptOwnersWithPrefix: daemonID + "/", now: now)
                if !swept.isEmpty { log.warning("requeued jobs whose lease expired", ["jobs": swept.map(String.init).joined(separator: ",")]) }
                for job in try store.undeliveredJobs(finishedBefore: now - 60) {
                    JobRunner(store: store, config: config, workerID: "recovery", log: log).deliver(job.id)
                }
            }
        }
        if now - lastDropCheck >= 60 || lastDropCheck == 0 {
            lastDropCheck = now
            step("pruning status counters") { try store.pruneFinishCounters(before: now - 7200) }
            step("expected drops") {
                for drop in try ExpectedDropMonitor.status(config: config, store: store, now: now) {
                    let subject = "\(drop.partner)/\(drop.pattern)@\(drop.due_at ?? "")"
                    guard drop.state == "missing" else {
                        // A drop that came (even late) closes the alerts of its earlier slots.
                        try store.resolveAlerts(kind: "drop_missing", subjectPrefix: "\(drop.partner)/\(drop.pattern)@", now: now)
                        continue
                    }
                    if try store.raiseAlert(kind: "drop_missing", subject: subject,
                                            message: "expected \(drop.pattern) from \(drop.partner) by \(drop.deadline ?? "?"); nothing arrived", now: now) {
                        log.warning("expected drop missing", ["partner": drop.partner, "pattern": drop.pattern, "due": drop.due_at ?? ""])
                    }
                }
            }
        }
        if request.checkIdle && result.claimed.isEmpty && watcher.unsettledCount == 0 {
            result.isIdle = ((try? store.pendingJobCount()) ?? 1) == 0
        }
        return result
    }

    /// True (and an alert) when the spool's disk has less free space than the floor.
    private func checkDisk(now: Double) -> Bool {
        var info = statvfs()
        guard statvfs(store.spool.root, &info) == 0 else { return false }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        stats.set("disk_free_bytes", Double(free), coarse: 10)
        if free < config.minFreeDiskBytes {
            if (try? store.raiseAlert(kind: "disk_low", subject: store.spool.root,
                                      message: "\(free) bytes free, under the floor of \(config.minFreeDiskBytes); nothing new is claimed", now: now)) == true {
                log.error("disk space under the floor; not claiming new files", ["free_bytes": "\(free)", "floor": "\(config.minFreeDiskBytes)"])
            }
            return true
        }
        try? store.resolveAlert(kind: "disk_low", subject: store.spool.root, now: now)
        return false
    }

    private func step(_ name: String, _ body: () throws -> Void) {
        do { try body() } catch { log.warning("\(name) failed; will try again", ["error": "\(error)"]) }
    }
}
