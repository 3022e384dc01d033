import Foundation
import Synchronization

/// Line-oriented log to standard error: a constant message and variable data as key=value
/// metadata (as swift-log does), one line per event, safe from any thread.
public struct Log: Sendable {
    public enum Level: String, Sendable {
        case debug, info, warning, error
        var rank: Int {
            switch self {
            case .debug: return 0
            case .info: return 1
            case .warning: return 2
            case .error: return 3
            }
        }
    }
    private let minimum: Level
    private static let lock = Mutex(())

    public init(verbose: Bool = false, quiet: Bool = false) { minimum = quiet ? .error : (verbose ? .debug : .info) }

    public func debug(_ message: String, _ metadata: [String: String] = [:]) { write(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [String: String] = [:]) { write(.info, message, metadata) }
    public func warning(_ message: String, _ metadata: [String: String] = [:]) { write(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [String: String] = [:]) { write(.error, message, metadata) }

    private func write(_ level: Level, _ message: String, _ metadata: [String: String]) {
        guard level.rank >= minimum.rank else { return }
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let line = "\(isoTimestamp(epochNow())) \(level.rawValue) \(message)\(fields.isEmpty ? "" : " " + fields)\n"
        // The throwing write: a log line that cannot be written (a full disk) must not stop the daemon.
        Self.lock.withLock { _ in try? FileHandle.standardError.write(contentsOf: Data(line.utf8)) }
    }

    private static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
            : value
    }
}
