// Group commit: one write for everything submitted meanwhile.

import Synchronization

/// What one group-commit write carries: everything submitted while the previous write was in flight.
package protocol CommitBatch: Sendable {
    associatedtype Item: Sendable
    init()
    var isEmpty: Bool { get }
    mutating func add(_ item: Item)
    /// Takes back a batch whose write failed, together with what was added since (`keepAndRetry` only).
    mutating func restore(_ failed: Self)
}

/// Group commit: whatever is submitted while one write is in flight goes together in the next, so a
/// busy hub costs one statement per round trip instead of one per call. A caller returns once the write
/// that carries its item has ended; the first caller of an idle writer starts it.
package final class GroupCommit<Batch: CommitBatch>: Sendable {
    package enum FailurePolicy: Sendable {
        /// The callers of a failed write get its error; the batch is dropped (they may try again).
        case failCallers
        /// The batch goes back in the queue and is written again after a growing pause (1 s to 30 s).
        /// Callers never see an error: they wait at most `patience` for a write in flight, and not at
        /// all while writes fail; their items are kept in memory until storage answers again.
        case keepAndRetry(patience: Duration)
    }

    /// Writes fail (`.failing`) or work again after failing (`.recovered`), for a log line.
    package enum Transition: Sendable {
        case failing(any Error)
        case recovered
    }

    private struct State {
        var pending = Batch()
        var waiting: [CheckedContinuation<Void, any Error>] = []
        var writing = false
        /// When the write in flight started.
        var writeStarted = ContinuousClock.now
        var failing = false
    }

    private let state = Mutex(State())
    private let policy: FailurePolicy
    private let transition: @Sendable (Transition) -> Void

    package init(_ policy: FailurePolicy, transition: @escaping @Sendable (Transition) -> Void = { _ in }) {
        self.policy = policy
        self.transition = transition
    }

    /// Adds `item` to the next write and waits for it (see `FailurePolicy` for what a failure does).
    /// `write` stores one batch; the caller that starts an idle writer lends it.
    package func submit(_ item: Batch.Item, write: @escaping @Sendable (Batch) async throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let leads = state.withLock { s -> Bool in
                s.pending.add(item)
                if case .keepAndRetry(let patience) = policy, s.failing || (s.writing && ContinuousClock.now - s.writeStarted > patience) {
                    done.resume()
                } else {
                    s.waiting.append(done)
                }
                guard !s.writing else { return false }
                s.writing = true
                s.writeStarted = ContinuousClock.now
                return true
            }
            if leads { Task { await self.drain(write) } }
        }
    }

    /// Writes until nothing is left.
    private func drain(_ write: @Sendable (Batch) async throws -> Void) async {
        var pause = Duration.seconds(1)
        while true {
            let (batch, waiting) = state.withLock { s in
                let taken = (s.pending, s.waiting)
                s.pending = Batch()
                s.waiting = []
                s.writeStarted = ContinuousClock.now
                if taken.0.isEmpty { s.writing = false }
                return taken
            }
            guard !batch.isEmpty else {
                for done in waiting { done.resume() }
                return
            }
            do {
                try await write(batch)
                let recovered = state.withLock { s in
                    defer { s.failing = false }
                    return s.failing
                }
                if recovered { transition(.recovered) }
                for done in waiting { done.resume() }
                pause = .seconds(1)
            } catch {
                guard case .keepAndRetry = policy else {
                    for done in waiting { done.resume(throwing: error) }
                    continue
                }
                let first = state.withLock { s in
                    s.pending.restore(batch)
                    defer { s.failing = true }
                    return !s.failing
                }
                for done in waiting { done.resume() }
                if first { transition(.failing(error)) }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }
}
