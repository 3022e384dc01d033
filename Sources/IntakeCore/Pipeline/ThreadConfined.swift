import Dispatch

/// Keeps a non-`Sendable` value (a connection and what uses it) on one serial queue and runs
/// blocking work there, off Swift's cooperative pool, as GRDB's SerializedDatabase does.
///
/// `@unchecked Sendable` is sound because `state` is only touched inside `queue`.
final class ThreadConfined<State>: @unchecked Sendable {
    private let queue: DispatchQueue
    private var state: State?
    private let makeState: () throws -> State

    init(label: String, makeState: @escaping () throws -> State) {
        queue = DispatchQueue(label: label)
        self.makeState = makeState
    }

    /// Runs `body` on the queue with the state, created on first use.
    func perform<T: Sendable>(_ body: @escaping @Sendable (State) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    let current: State
                    if let state = self.state {
                        current = state
                    } else {
                        current = try self.makeState()
                        self.state = current
                    }
                    continuation.resume(returning: try body(current))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
