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
        var deadline: NIODeadline
    }

    /// Requests waiting for replies, oldest first. Plain fields rather than an enum payload: a queue bound out
    /// of an enum to be mutated is a second reference, so each append or pop copied all of it.
    private var queue = CircularBuffer<Pending>()
    /// The replies collected so far for the head of the queue.
    private var headReplies: [RESPValue] = []
    /// Why the connection closed; once set, nothing is queued again.
    private var closedBy: RedisError?
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
        if let closedBy { return .fail(waiter, closedBy) }
        queue.append(Pending(waiter: waiter, expected: expected, deadline: deadline))
        return .write
    }

    enum ReceiveAction {
        case none
        case succeed(Waiter, [RESPValue])
        case push(RESPValue)
        /// Fail everything and close: the reply stream can no longer be matched to requests.
        case close([Waiter], RedisError)
    }

    mutating func receive(_ value: RESPValue) -> ReceiveAction {
        guard closedBy == nil else { return .none }
        guard let head = queue.first else {
            if acceptsPushes { return .push(value) }
            let error = RedisError.protocolViolation("reply received with no request waiting")
            close(error)
            return .close([], error)
        }
        headReplies.append(value)
        guard headReplies.count >= head.expected else { return .none }
        queue.removeFirst()
        defer { headReplies = [] }
        return .succeed(head.waiter, headReplies)
    }

    enum TimerAction {
        case none
        case rearm(NIODeadline)
        /// The head timed out: it gets `.timeout`, the rest `.unavailable`, and the connection closes.
        case close(timedOut: Waiter, others: [Waiter])
    }

    mutating func timerFired(now: NIODeadline) -> TimerAction {
        guard closedBy == nil, let head = queue.first else { return .none }
        guard head.deadline <= now else { return .rearm(head.deadline) }
        let others = queue.dropFirst().map(\.waiter)
        close(.unavailable("connection closed after a command timed out"))
        return .close(timedOut: head.waiter, others: others)
    }

    /// A reply arrived: the new head's clock starts no earlier than now. A deep pipeline that is still being
    /// answered is slow, not dead, so the timeout measures silence rather than queueing.
    mutating func progressed(deadline: NIODeadline) {
        guard let head = queue.indices.first else { return }
        queue[head].deadline = max(queue[head].deadline, deadline)
    }

    /// The deadline of the oldest request, which is the earliest since every request gets the same timeout.
    var nextDeadline: NIODeadline? { queue.first?.deadline }

    /// The channel closed or failed: everything still waiting fails with `error` (first cause wins).
    mutating func closed(_ error: RedisError) -> ([Waiter], RedisError) {
        if let closedBy { return ([], closedBy) }
        let waiting = queue.map(\.waiter)
        close(error)
        return (waiting, error)
    }

    private mutating func close(_ error: RedisError) {
        closedBy = error
        queue.removeAll()
        headReplies = []
    }
}
