import Foundation

/// A test hook, off unless `INTAKE_FAULT_INJECTION` is set when the daemon starts:
/// `transient:N` fails the first N attempts of every job with a transient error;
/// `delay:S` makes every job wait S seconds (cancellably) before it starts its work.
/// Both may be combined with a comma. The tests use it to show retries, time limits,
/// cancellation and concurrency with real processes.
public struct FaultInjection: Sendable, Equatable {
    public var transientFailures = 0
    public var delaySeconds = 0.0

    public static let none = FaultInjection()

    public init() {}

    public init(specification: String) {
        for part in specification.split(separator: ",") {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2 else { continue }
            switch pieces[0] {
            case "transient": transientFailures = Int(pieces[1]) ?? 0
            case "delay": delaySeconds = Double(pieces[1]) ?? 0
            default: continue
            }
        }
    }

    public static func fromEnvironment() -> FaultInjection {
        ProcessInfo.processInfo.environment["INTAKE_FAULT_INJECTION"].map(FaultInjection.init(specification:)) ?? .none
    }

    func apply(to job: JobRecord, cancellation: CancellationFlag) throws {
        if delaySeconds > 0 {
            let end = Date().addingTimeInterval(delaySeconds)
            while Date() < end {
                try cancellation.check()
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        if job.attempts <= transientFailures {
            throw JobError.transient("injected transient failure (INTAKE_FAULT_INJECTION) on attempt \(job.attempts)")
        }
    }
}
