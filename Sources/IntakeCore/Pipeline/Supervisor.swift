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
        self.log = Log(verbose: options.verbose)
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

    enum Event: Sendable {
        case tick
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
        await withTaskGroup(of: Event.self) { group in
            group.addTask { await Self.nextSignal(signalStream) }
            group.addTask { await Self.tick(after: 0) }
            var freeSlots = Array(slots.indices)
            var running: [Int64: CancellationFlag] = [:]
            var stopDeadline: Double?
            var lastHeartbeat = epochNow()

            func dispatch() async {
                while stopDeadline == nil, let slotIndex = freeSlots.last {
                    let slot = slots[slotIndex]
                    let claimed = try? await coordinator.perform { coordinator in
                        try coordinator.store.claimNextJob(owner: slot.id, leaseSeconds: config.leaseSeconds, now: epochNow())
                    }
                    guard let job = claimed ?? nil else { return }
                    freeSlots.removeLast()
                    let flag = CancellationFlag()
                    running[job.id] = flag
                    group.addTask {
                        _ = try? await slot.confined.perform { store in
                            JobRunner(store: store, config: config, workerID: slot.id, log: log).run(job, cancellation: flag)
                        }
                        return .finished(slot: slotIndex, job: job.id)
                    }
                }
            }

            eventLoop: while let event = await group.next() {
                switch event {
                case .tick:
                    let now = epochNow()
                    if stopDeadline == nil {
                        _ = try? await coordinator.perform { $0.watcher.poll() }
                    }
                    await dispatch()
                    if now - lastHeartbeat >= max(1, config.leaseSeconds / 4) {
                        lastHeartbeat = now
                        _ = try? await coordinator.perform { coordinator in
                            try coordinator.store.extendLeases(owner: daemonID, leaseSeconds: config.leaseSeconds, now: now)
                            for slot in slots { try coordinator.store.extendLeases(owner: slot.id, leaseSeconds: config.leaseSeconds, now: now) }
                            try coordinator.store.heartbeat(daemon: daemonID, now: now)
                        }
                        try? await deliverPending(coordinator)
                    }
                    if let deadline = stopDeadline {
                        if running.isEmpty { group.cancelAll(); break eventLoop }
                        if now >= deadline { cancelAll(running, reason: "shutdown grace period over") }
                    } else if options.once, running.isEmpty {
                        let idle = (try? await coordinator.perform { coordinator in
                            let pending = try coordinator.store.pendingJobCount()
                            return coordinator.watcher.unsettledCount == 0 && pending == 0
                        }) ?? true
                        if idle {
                            log.info("inboxes drained; exiting (--once)")
                            group.cancelAll()
                            break eventLoop
                        }
                    }
                    let delay = stopDeadline == nil ? config.pollIntervalSeconds : 0.1
                    group.addTask { await Self.tick(after: delay) }
                case .finished(let slotIndex, let jobID):
                    running[jobID] = nil
                    freeSlots.append(slotIndex)
                    if stopDeadline == nil { await dispatch() }
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
