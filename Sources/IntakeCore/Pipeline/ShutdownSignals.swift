import Dispatch
import Glibc

/// SIGTERM and SIGINT as an async sequence, as swift-service-lifecycle does: the first asks for
/// a graceful stop, a second one for an immediate one.
final class ShutdownSignals {
    let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        let queue = DispatchQueue(label: "intake.signals")
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
        self.sources = sources
    }

    deinit {
        sources.forEach { $0.cancel() }
    }
}
