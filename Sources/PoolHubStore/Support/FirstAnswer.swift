// The first answer of racing tasks, the losers abandoned rather than awaited.

import Synchronization

/// The first of several racers (a query, a timer, the caller's cancellation) to finish: it alone answers the
/// caller, and the others are abandoned rather than awaited — postgres-nio never answers a query written to a
/// connection that is closing, so structured waiting (a task group) could wait forever.
final class FirstAnswer<Value: Sendable>: Sendable {
    private struct State {
        var result: Swift.Result<Value, any Error>?
        var waiter: CheckedContinuation<Value, any Error>?
    }

    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.result != nil } }

    /// Records `result` unless another came first; true when this one decides.
    @discardableResult func finish(_ result: Swift.Result<Value, any Error>) -> Bool {
        let (decides, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Value, any Error>?) in
            guard s.result == nil else { return (false, nil) }
            s.result = result
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume(with: result)
        return decides
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { waiter in
                let done = state.withLock { s -> Swift.Result<Value, any Error>? in
                    if s.result == nil { s.waiter = waiter }
                    return s.result
                }
                if let done { waiter.resume(with: done) }
            }
        }
    }
}
