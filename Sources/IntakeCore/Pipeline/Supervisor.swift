import Foundation
import Synchronization

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

    enum Event: Sendable {
        case tick
        case passDone(offered: [Int], result: Coordinator.Result)
        /// `next`: the job the slot claimed in the commit that closed `job`.
        case finished(slot: Int, job: Int64, next: JobRecord?)
        case signal(Int32)
        case signalsEnded
    }

    /// Runs until stopped (or, with `once`, until the inboxes are drained). Throws only for
    /// start-up failures: the lock, the database, recovery.
    public func run() async throws {
        try spool.createLayout()
        let lock = try SpoolLock(path: spool.lockPath)
        let config = self.config, log = self.log, spool = self.spool
        let daemonID = self.daemonID
        let coordinator = ThreadConfined<Coordinator>(label: "intake.coordinator") {
            Coordinator(store: try IntakeStore(spool: spool), config: config, log: log, daemonID: daemonID)
        }
        let faults = FaultInjection.fromEnvironment()
        if faults != .none { log.warning("fault injection is on (INTAKE_FAULT_INJECTION)", ["transient": "\(faults.transientFailures)", "delay_s": "\(faults.delaySeconds)"]) }
        let slots = (0..<config.workers).map { Slot(id: "\(daemonID)/\($0)", spool: spool) }
        // A busy slot takes its next job itself, in the commit that closes the current one;
        // the gate shuts when stopping begins, so nothing new is claimed after a signal.
        let claimGate = ClaimGate()
        let nextClaim = NextJobClaim { store, workerID in
            guard claimGate.isOpen else { return nil }
            return try store.claimNextJob(owner: workerID, leaseSeconds: config.leaseSeconds, now: epochNow(),
                                          partnerLimit: { config.partnerLimits[$0]?.concurrentJobs })
        }
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
            var running: [Int64: RunningJob] = [:]
            var stopDeadline: Double?
            var isPassInFlight = false
            var wantsPass = false
            var lastHeartbeat = epochNow()

            /// One pass of coordination, off the event loop so that a database lock held by a
            /// long load never delays signals.
            func startPass(poll: Bool) {
                guard !isPassInFlight else { wantsPass = true; return }
                isPassInFlight = true
                wantsPass = false
                let offered = stopDeadline == nil ? freeSlots : []
                freeSlots.removeAll { offered.contains($0) }
                let heartbeat = epochNow() - lastHeartbeat >= max(1, config.leaseSeconds / 4)
                if heartbeat { lastHeartbeat = epochNow() }
                let busySlots = slots.indices.filter { !freeSlots.contains($0) && !offered.contains($0) }.map { slots[$0].id }
                let request = Coordinator.Request(poll: poll && stopDeadline == nil, offered: offered.map { ($0, slots[$0].id) }, heartbeat: heartbeat,
                                                  checkIdle: once && running.isEmpty, running: Array(running.keys), slotIDs: slots.map(\.id),
                                                  busySlotIDs: Set(busySlots))
                group.addTask {
                    let result = try? await coordinator.perform { $0.pass(request) }
                    return .passDone(offered: offered, result: result ?? Coordinator.Result())
                }
            }

            /// Runs `job` on the slot; the slot's next job (claimed as this one closes) comes
            /// back with `.finished`.
            func launch(_ job: JobRecord, on slotIndex: Int) {
                let slot = slots[slotIndex]
                let flag = CancellationFlag()
                let timeout = job.timeoutSeconds ?? config.settings(for: JobKindName(rawValue: job.kind) ?? .claimsImport).timeoutSeconds
                running[job.id] = RunningJob(flag: flag, started: epochNow(), timeout: timeout)
                if stopDeadline != nil { flag.cancel(.shutdown("stopping")) }
                group.addTask {
                    let next = try? await slot.confined.perform { store in
                        JobRunner(store: store, config: config, workerID: slot.id, log: log, faults: faults).run(job, cancellation: flag, nextClaim: nextClaim)
                    }
                    return .finished(slot: slotIndex, job: job.id, next: next ?? nil)
                }
            }

            eventLoop: while let event = await group.next() {
                switch event {
                case .tick:
                    let now = epochNow()
                    for job in running.values where now - job.started > job.timeout {
                        job.flag.cancel(.timeout(seconds: job.timeout))
                    }
                    if let deadline = stopDeadline {
                        if running.isEmpty && !isPassInFlight { group.cancelAll(); break eventLoop }
                        if now >= deadline { cancelAll(running, .shutdown("shutdown grace period over")) }
                    } else {
                        startPass(poll: true)
                    }
                    let delay = stopDeadline == nil ? config.pollIntervalSeconds : 0.05
                    group.addTask { await Self.tick(after: delay) }
                case .passDone(let offered, let result):
                    isPassInFlight = false
                    let used = Set(result.claimed.map(\.0))
                    freeSlots.append(contentsOf: offered.filter { !used.contains($0) })
                    for (id, reason) in result.cancelRequests { running[id]?.flag.cancel(.byOperator(reason)) }
                    for (slotIndex, job) in result.claimed { launch(job, on: slotIndex) }
                    if result.isIdle && running.isEmpty {
                        log.info("inboxes drained; exiting (--once)")
                        group.cancelAll()
                        break eventLoop
                    }
                    if stopDeadline == nil && (wantsPass || !result.claimed.isEmpty) && !freeSlots.isEmpty { startPass(poll: false) }
                case .finished(let slotIndex, let jobID, let next):
                    running[jobID] = nil
                    if let next {
                        launch(next, on: slotIndex)
                    } else {
                        freeSlots.append(slotIndex)
                        if stopDeadline == nil { startPass(poll: false) }
                    }
                case .signal(let number):
                    if stopDeadline == nil {
                        claimGate.close()
                        log.info("stopping: no new claims; waiting for running jobs", ["signal": "\(number)", "running": "\(running.count)", "grace_s": "\(config.shutdownGraceSeconds)"])
                        stopDeadline = epochNow() + config.shutdownGraceSeconds
                    } else {
                        log.info("second signal: cancelling running jobs now", ["running": "\(running.count)"])
                        cancelAll(running, .shutdown("second stop signal"))
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

    private func cancelAll(_ running: [Int64: RunningJob], _ reason: CancellationReason) {
        for job in running.values { job.flag.cancel(reason) }
    }

    /// Open while the daemon takes new jobs; closed once, when stopping begins.
    final class ClaimGate: Sendable {
        private let open = Atomic<Bool>(true)
        var isOpen: Bool { open.load(ordering: .acquiring) }
        func close() { open.store(false, ordering: .releasing) }
    }

    struct RunningJob {
        let flag: CancellationFlag
        let started: Double
        let timeout: Double
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
