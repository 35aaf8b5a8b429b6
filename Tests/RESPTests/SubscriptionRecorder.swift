import RESP
import Synchronization

/// Consumes a subscription stream in a background task so tests can wait for events with a deadline.
struct SubscriptionRecorder: Sendable {
    private final class Log: Sendable {
        let state = Mutex<(events: [RedisSubscriptionEvent], finished: Bool)>(([], false))
    }

    private let log = Log()
    private let consumer: Task<Void, Never>

    init(_ stream: AsyncStream<RedisSubscriptionEvent>) {
        let log = self.log
        consumer = Task {
            for await event in stream { log.state.withLock { $0.events.append(event) } }
            log.state.withLock { $0.finished = true }
        }
    }

    var events: [RedisSubscriptionEvent] { log.state.withLock { $0.events } }
    var finished: Bool { log.state.withLock { $0.finished } }

    func count(_ predicate: (RedisSubscriptionEvent) -> Bool) -> Int { events.filter(predicate).count }

    /// Cancels the consuming task, which ends the subscription.
    func cancel() { consumer.cancel() }
}

extension RedisSubscriptionEvent {
    var isDisconnected: Bool {
        if case .disconnected = self { true } else { false }
    }
}
