import Dispatch
import Synchronization

/// Runs a producer on a thread of its own and hands its batches to the calling thread through
/// a bounded queue, so reading and validating a file (one core) overlaps with loading it into
/// SQLite (the other). At most `depth` batches wait, so memory stays flat with file size.
///
/// The consumer calls `next()` until it returns nil, and `finish()` in every case (also
/// after an error), which stops the producer and waits for it: the producer never outlives
/// the pass that started it.
final class BatchPipe<Batch: Sendable>: Sendable {
    private let waiting = Mutex<[Batch]>([])
    /// Free places in the queue (the producer waits on it) and batches ready (the consumer waits).
    private let places: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    private let ended = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// `produce` gets a `send` function; it returns false once the consumer has stopped, and
    /// the producer should then return.
    init(depth: Int = 4, label: String, produce: @escaping @Sendable (_ send: (Batch) -> Bool) -> Void) {
        places = DispatchSemaphore(value: max(1, depth))
        DispatchQueue(label: label).async { [self] in
            produce { batch in
                self.places.wait()
                guard !self.stopped.load(ordering: .acquiring) else { return false }
                self.waiting.withLock { $0.append(batch) }
                self.ready.signal()
                return true
            }
            self.ended.store(true, ordering: .releasing)
            self.ready.signal()
            self.done.signal()
        }
    }

    /// The next batch in the producer's order; nil when the producer has returned.
    func next() -> Batch? {
        while true {
            ready.wait()
            if let batch = waiting.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                places.signal()
                return batch
            }
            if ended.load(ordering: .acquiring) {
                ready.signal() // later calls see the end too
                return nil
            }
        }
    }

    /// Stops the producer (its next `send` returns false) and waits until it has returned.
    func finish() {
        stopped.store(true, ordering: .releasing)
        places.signal() // a producer waiting for a place wakes and sees the stop
        done.wait()
        done.signal()
    }
}

/// Moves a value that is not `Sendable` (a file reader, an unpublished export) to another
/// thread. Sound because the sending thread hands it over whole and never touches it again.
struct Handover<Value>: @unchecked Sendable {
    let value: Value
}
