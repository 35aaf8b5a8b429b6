// One pass at a time (SLA passes, billing syncs).

import Synchronization

/// Lets one pass run at a time in this process; the next caller either waits its turn or gives up.
final class PassGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// True once the caller may run; false (without waiting) when busy and `waiting` is false.
    func enter(waiting: Bool) async -> Bool {
        enum Turn { case now, later, never }
        var turn = Turn.never
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            turn = state.withLock { s in
                if !s.busy {
                    s.busy = true
                    return .now
                }
                guard waiting else { return .never }
                s.waiting.append(done)
                return .later
            }
            if turn != .later { done.resume() }
        }
        return turn != .never
    }

    /// Hands the turn to the next waiter, if any.
    func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.waiting.isEmpty else {
                s.busy = false
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
