import Foundation

/// The daemon: recovers after a crash, polls the inboxes, claims settled files, and runs
/// jobs on a bounded pool of worker slots until stopped.
///
/// Stopping (SIGTERM/SIGINT): claiming stops at once; running jobs get
/// `shutdown_grace_seconds` to finish, then are cancelled, rolled back and released to the
/// queue; the process exits 0. A second signal cancels at once.
public final class Supervisor: Sendable {
    public struct Options: Sendable {
        /// Process what is in the inboxes once it has settled, then exit.
        public var once = false
        public var verbose = false
        /// Only errors on standard error (for `intake validate`).
        public var quiet = false
        public init() {}
    }

    let spool: Spool
    let config: IntakeConfig
    let options: Options
    let log: Log
    let daemonID: String

    public init(spool: Spool, config: IntakeConfig, options: Options) {
        self.spool = spool
        self.config = config
        self.options = options
        self.log = Log(verbose: options.verbose, quiet: options.quiet)
        self.daemonID = "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    }

    /// A worker slot: its own connection on its own queue.
    final class Slot: Sendable {
        let id: String
        let confined: ThreadConfined<IntakeStore>
        init(id: String, spool: Spool) {
            self.id = id
            confined = ThreadConfined(label: "intake.worker.\(id)") { try IntakeStore(spool: spool) }
        }
    }

    final class Coordinator {
        let store: IntakeStore
        let watcher: InboxWatcher
        init(store: IntakeStore, watcher: InboxWatcher) {
            self.store = store
            self.watcher = watcher
        }
    }

    struct PassResult: Sendable {
        let claimed: [(Int, JobRecord)]
        let isIdle: Bool
    }

    enum Event: Sendable {
        case tick
        case passDone(offered: [Int], result: PassResult)
        case finished(slot: Int, job: Int64)
        case signal(Int32)
        case signalsEnded
    }

    /// Runs until stopped (or, with `once`, until the inboxes are drained). Throws only for
    /// start-up failures: the lock, the database, recovery.
    public func run() async throws {
        try spool.createLayout()
        let lock = try SpoolLock(path: spool.lockPath)
        let config = self.config, log = self.log, spool = self.spool
        let coordinator = ThreadConfined<Coordinator>(label: "intake.coordinator") {
            let store = try IntakeStore(spool: spool)
            return Coordinator(store: store, watcher: InboxWatcher(store: store, config: config, log: log))
        }
        let daemonID = self.daemonID
        let slots = (0..<config.workers).map { Slot(id: "\(daemonID)/\($0)", spool: spool) }
        try await coordinator.perform { coordinator in
            try Recovery(store: coordinator.store, log: log).run()
            try coordinator.store.registerWorkers(daemon: daemonID, slots: config.workers, now: epochNow())
            try coordinator.store.appendAudit("daemon.started", job: nil, file: nil, detail: ["daemon": daemonID, "workers": "\(config.workers)"], at: epochNow())
        }
        // Deliveries left undone by a crash.
        try await deliverPending(coordinator)
        log.info("intake started", ["spool": spool.root, "workers": "\(config.workers)", "settle_s": "\(config.settleSeconds)", "once": "\(options.once)"])

        let signals = ShutdownSignals()
        let signalStream = signals.stream
        let once = options.once
        await withTaskGroup(of: Event.self) { group in
            group.addTask { await Self.nextSignal(signalStream) }
            group.addTask { await Self.tick(after: 0) }
            var freeSlots = Array(slots.indices)
            var running: [Int64: CancellationFlag] = [:]
            var stopDeadline: Double?
            var isPassInFlight = false
            var wantsPass = false
            var lastHeartbeat = epochNow()

            /// One pass of coordination, off the event loop so that a database lock held by a
            /// long load never delays signals: poll the inboxes, claim jobs for the free slots,
            /// heartbeat when due.
            func startPass(poll: Bool) {
                guard !isPassInFlight else { wantsPass = true; return }
                isPassInFlight = true
                wantsPass = false
                let offered = stopDeadline == nil ? freeSlots : []
                freeSlots.removeAll { offered.contains($0) }
                let heartbeat = epochNow() - lastHeartbeat >= max(1, config.leaseSeconds / 4)
                if heartbeat { lastHeartbeat = epochNow() }
                let checkIdle = once && running.isEmpty
                group.addTask {
                    let result = try? await coordinator.perform { coordinator -> PassResult in
                        if poll { _ = coordinator.watcher.poll() }
                        // Each step logs its own failure, so a busy database in one step never
                        // loses the jobs another step claimed.
                        var claimed: [(Int, JobRecord)] = []
                        do {
                            if try coordinator.store.hasRunnableJobs(now: epochNow()) {
                                for slotIndex in offered {
                                    guard let job = try coordinator.store.claimNextJob(owner: slots[slotIndex].id, leaseSeconds: config.leaseSeconds, now: epochNow()) else { break }
                                    claimed.append((slotIndex, job))
                                }
                            }
                        } catch {
                            log.warning("claiming jobs failed; will try again", ["error": "\(error)"])
                        }
                        if heartbeat {
                            do {
                                let now = epochNow()
                                for slot in slots { try coordinator.store.extendLeases(owner: slot.id, leaseSeconds: config.leaseSeconds, now: now) }
                                try coordinator.store.heartbeat(daemon: daemonID, now: now)
                                for job in try coordinator.store.undeliveredJobs(finishedBefore: now - 60) {
                                    JobRunner(store: coordinator.store, config: config, workerID: "recovery", log: log).deliver(job.id)
                                }
                            } catch {
                                log.warning("heartbeat failed; will try again", ["error": "\(error)"])
                            }
                        }
                        var idle = false
                        if checkIdle && claimed.isEmpty && coordinator.watcher.unsettledCount == 0 {
                            idle = ((try? coordinator.store.pendingJobCount()) ?? 1) == 0
                        }
                        return PassResult(claimed: claimed, isIdle: idle)
                    }
                    return .passDone(offered: offered, result: result ?? PassResult(claimed: [], isIdle: false))
                }
            }

            eventLoop: while let event = await group.next() {
                switch event {
                case .tick:
                    if let deadline = stopDeadline {
                        if running.isEmpty && !isPassInFlight { group.cancelAll(); break eventLoop }
                        if epochNow() >= deadline { cancelAll(running, reason: "shutdown grace period over") }
                    } else {
                        startPass(poll: true)
                    }
                    let delay = stopDeadline == nil ? config.pollIntervalSeconds : 0.05
                    group.addTask { await Self.tick(after: delay) }
                case .passDone(let offered, let result):
                    isPassInFlight = false
                    let used = Set(result.claimed.map(\.0))
                    freeSlots.append(contentsOf: offered.filter { !used.contains($0) })
                    for (slotIndex, job) in result.claimed {
                        let slot = slots[slotIndex]
                        let flag = CancellationFlag()
                        running[job.id] = flag
                        if stopDeadline != nil { flag.cancel(reason: "stopping") }
                        group.addTask {
                            _ = try? await slot.confined.perform { store in
                                JobRunner(store: store, config: config, workerID: slot.id, log: log).run(job, cancellation: flag)
                            }
                            return .finished(slot: slotIndex, job: job.id)
                        }
                    }
                    if result.isIdle && running.isEmpty {
                        log.info("inboxes drained; exiting (--once)")
                        group.cancelAll()
                        break eventLoop
                    }
                    if stopDeadline == nil && (wantsPass || !result.claimed.isEmpty) && !freeSlots.isEmpty { startPass(poll: false) }
                case .finished(let slotIndex, let jobID):
                    running[jobID] = nil
                    freeSlots.append(slotIndex)
                    if stopDeadline == nil { startPass(poll: false) }
                case .signal(let number):
                    if stopDeadline == nil {
                        log.info("stopping: no new claims; waiting for running jobs", ["signal": "\(number)", "running": "\(running.count)", "grace_s": "\(config.shutdownGraceSeconds)"])
                        stopDeadline = epochNow() + config.shutdownGraceSeconds
                    } else {
                        log.info("second signal: cancelling running jobs now", ["running": "\(running.count)"])
                        cancelAll(running, reason: "second stop signal")
                    }
                    group.addTask { await Self.nextSignal(signalStream) }
                case .signalsEnded:
                    break
                }
            }
        }
        _ = try? await coordinator.perform { coordinator in
            try coordinator.store.retireWorkers(daemon: daemonID)
            try coordinator.store.appendAudit("daemon.stopped", job: nil, file: nil, detail: ["daemon": daemonID], at: epochNow())
        }
        withExtendedLifetime(signals) {}
        withExtendedLifetime(lock) {}
        log.info("intake stopped")
    }

    private func cancelAll(_ running: [Int64: CancellationFlag], reason: String) {
        for flag in running.values { flag.cancel(reason: reason) }
    }

    private func deliverPending(_ coordinator: ThreadConfined<Coordinator>) async throws {
        let log = self.log, config = self.config
        try await coordinator.perform { coordinator in
            for job in try coordinator.store.undeliveredJobs() {
                JobRunner(store: coordinator.store, config: config, workerID: "recovery", log: log).deliver(job.id)
            }
        }
    }

    private static func tick(after seconds: Double) async -> Event {
        if seconds > 0 { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
        return .tick
    }

    private static func nextSignal(_ stream: AsyncStream<Int32>) async -> Event {
        for await number in stream { return .signal(number) }
        return .signalsEnded
    }
}
