// The connection's protocol logic, free of I/O.

import NIOCore

/// The protocol logic of one connection, free of I/O so it can be tested directly.
///
/// Redis answers in order, so requests wait in a FIFO queue; a pipeline is one entry that collects
/// `expected` replies. Replies that arrive with nothing waiting are pub/sub pushes when the connection
/// is a subscriber, and a protocol violation otherwise. `Waiter` is the promise type (generic so tests
/// can use plain values).
struct RedisConnectionStateMachine<Waiter> {
    struct Pending {
        var waiter: Waiter
        var expected: Int
        var replies: [RESPValue]
        var deadline: NIODeadline
    }

    private enum State {
        case active(CircularBuffer<Pending>)
        case closed(RedisError)
    }

    private var state: State = .active(CircularBuffer())
    private let acceptsPushes: Bool

    init(acceptsPushes: Bool) {
        self.acceptsPushes = acceptsPushes
    }

    enum EnqueueAction {
        /// Write the request's bytes now; arm the timer for `deadline` if none is armed.
        case write
        case fail(Waiter, RedisError)
    }

    mutating func enqueue(_ waiter: Waiter, expected: Int, deadline: NIODeadline) -> EnqueueAction {
        switch state {
        case .closed(let error):
            return .fail(waiter, error)
        case .active(var queue):
            queue.append(Pending(waiter: waiter, expected: expected, replies: [], deadline: deadline))
            state = .active(queue)
            return .write
        }
    }

    enum ReceiveAction {
        case none
        case succeed(Waiter, [RESPValue])
        case push(RESPValue)
        /// Fail everything and close: the reply stream can no longer be matched to requests.
        case close([Waiter], RedisError)
    }

    mutating func receive(_ value: RESPValue) -> ReceiveAction {
        guard case .active(var queue) = state else { return .none }
        guard var head = queue.popFirst() else {
            if acceptsPushes { return .push(value) }
            let error = RedisError.protocolViolation("reply received with no request waiting")
            state = .closed(error)
            return .close([], error)
        }
        head.replies.append(value)
        if head.replies.count < head.expected {
            queue.prepend(head)
            state = .active(queue)
            return .none
        }
        state = .active(queue)
        return .succeed(head.waiter, head.replies)
    }

    enum TimerAction {
        case none
        case rearm(NIODeadline)
        /// The head timed out: it gets `.timeout`, the rest `.unavailable`, and the connection closes.
        case close(timedOut: Waiter, others: [Waiter])
    }

    mutating func timerFired(now: NIODeadline) -> TimerAction {
        guard case .active(var queue) = state, let head = queue.first else { return .none }
        guard head.deadline <= now else { return .rearm(head.deadline) }
        queue.removeFirst()
        state = .closed(.unavailable("connection closed after a command timed out"))
        return .close(timedOut: head.waiter, others: queue.map(\.waiter))
    }

    /// A reply arrived: the new head's clock starts no earlier than now. A deep pipeline that is still being
    /// answered is slow, not dead, so the timeout measures silence rather than queueing.
    mutating func progressed(deadline: NIODeadline) {
        guard case .active(var queue) = state, var head = queue.popFirst() else { return }
        head.deadline = max(head.deadline, deadline)
        queue.prepend(head)
        state = .active(queue)
    }

    /// The deadline of the oldest request, which is the earliest since every request gets the same timeout.
    var nextDeadline: NIODeadline? {
        guard case .active(let queue) = state else { return nil }
        return queue.first?.deadline
    }

    /// The channel closed or failed: everything still waiting fails with `error` (first cause wins).
    mutating func closed(_ error: RedisError) -> ([Waiter], RedisError) {
        switch state {
        case .closed(let first):
            return ([], first)
        case .active(let queue):
            state = .closed(error)
            return (queue.map(\.waiter), error)
        }
    }
}
