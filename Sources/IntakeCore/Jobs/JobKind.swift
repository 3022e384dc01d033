import Foundation
import Synchronization

/// A kind of job: what it does with its file, declared once. Shared mechanics (claiming,
/// retries, delivery of manifests) live in the pipeline, not here.
public protocol JobKind: Sendable {
    var name: JobKindName { get }
    /// The stages recorded as tasks, in order. `deliver` is run by the pipeline.
    var stages: [Stage] { get }
    /// Runs the job's stages up to and including the commit of its outcome and records.
    /// Throws `JobError` for what the pipeline must handle (retry, defer, cancel).
    func run(_ context: JobContext) throws -> JobOutcome
}

/// Everything a running job may use. Belongs to the worker slot running it.
public struct JobContext {
    public let job: JobRecord
    public let file: FileRecord?
    public let feed: FeedRule?
    public let store: IntakeStore
    public let config: IntakeConfig
    public let workerID: String
    public let cancellation: CancellationFlag
    public let today: CivilDate
    public var spool: Spool { store.spool }
}

/// Why a job did not reach an outcome of its own.
public enum JobError: Error, CustomStringConvertible {
    /// Worth another attempt later: I/O, busy database, full disk.
    case transient(String)
    /// Not ready yet (an identical earlier file is still in flight); not an attempt.
    case deferred(seconds: Double, reason: String)
    /// Stopped: by shutdown (released to the queue), by an operator (`cancelled`) or by its
    /// time limit (`timed_out`).
    case cancelled(CancellationReason)
    /// The job is not this run's any more (put back in the queue, or ended, while it ran):
    /// nothing of this run is recorded, and nothing is requeued or delivered.
    case superseded(String)

    public var description: String {
        switch self {
        case .transient(let reason): return "transient: \(reason)"
        case .deferred(_, let reason): return "deferred: \(reason)"
        case .cancelled(let reason): return "cancelled: \(reason.description)"
        case .superseded(let reason): return "superseded: \(reason)"
        }
    }
}

/// Why a running job was asked to stop.
public enum CancellationReason: Sendable, Equatable, CustomStringConvertible {
    /// The daemon is stopping: the job goes back to the queue.
    case shutdown(String)
    /// Past the kind's time limit: the job ends `timed_out`.
    case timeout(seconds: Double)
    /// `intake jobs cancel`: the job ends `cancelled`.
    case byOperator(String)

    public var description: String {
        switch self {
        case .shutdown(let why): return "released: \(why)"
        case .timeout(let seconds): return "timed out after \(Int(seconds)) s (the kind's time limit)"
        case .byOperator(let why): return "cancelled by an operator\(why.isEmpty ? "" : ": " + why)"
        }
    }
}

/// Set from another thread (shutdown, time limit, cancel command); polled by long loops.
public final class CancellationFlag: Sendable {
    private let state = Mutex<CancellationReason?>(nil)
    public init() {}
    public func cancel(_ reason: CancellationReason) { state.withLock { if $0 == nil { $0 = reason } } }
    public var reason: CancellationReason? { state.withLock { $0 } }
    public var isCancelled: Bool { reason != nil }
    public func check() throws {
        if let reason { throw JobError.cancelled(reason) }
    }
}

/// The job kinds Intake knows, by stored name.
public enum JobKinds {
    public static func make(_ name: String) -> (any JobKind)? {
        switch JobKindName(rawValue: name) {
        case .claimsImport: return ClaimsImportJob()
        case .unroutable: return UnroutableFileJob()
        case .archive: return ArchiveJob()
        case .report: return ReportJob()
        case .patientsImport, .payersImport, .rentalsImport, .feeScheduleImport, .remittanceImport, .itemsImport,
             .stockMovementsImport, .inventoryCountImport:
            return RecordImportJob(name: JobKindName(rawValue: name) ?? .patientsImport)
        case .rentalBilling: return RentalBillingJob()
        case .statements: return StatementsJob()
        case .noop: return NoopJob()
        case nil: return nil
        }
    }
}
