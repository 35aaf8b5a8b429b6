// Group commit: one write for everything submitted meanwhile.

package import PoolHubCore
import Foundation
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
        /// Callers never see an error: each waits at most `patience` from its arrival (timed on the injected
        /// clock), and not at all while writes fail; their items are kept in memory until storage answers again.
        case keepAndRetry(patience: Duration)
    }

    /// Writes fail (`.failing`) or work again after failing (`.recovered`), for a log line.
    package enum Transition: Sendable {
        case failing(any Error)
        case recovered
    }

    private typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var pending = Batch()
        /// Callers of the next write, and of the write in flight, by id (a patience timer may answer one early).
        var waiting: [UInt64: Waiter] = [:]
        var inFlight: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        var writing = false
        var failing = false
        /// Each caller's deadline (`keepAndRetry`), in arrival order: one patience for all keeps it sorted.
        var deadlines: [(id: UInt64, at: Date)] = []
        var deadlinesStart = 0
        /// Whether the watchman task is running: one timer for every waiting caller, not one each.
        var watching = false

        /// Drops the deadlines already passed over once they are most of the array.
        mutating func compactDeadlines() {
            guard deadlinesStart > 1_024, deadlinesStart * 2 > deadlines.count else { return }
            deadlines.removeFirst(deadlinesStart)
            deadlinesStart = 0
        }

        /// Takes the caller `id` out of whichever write it waits for; nil once it was answered.
        mutating func take(_ id: UInt64) -> Waiter? {
            waiting.removeValue(forKey: id) ?? inFlight.removeValue(forKey: id)
        }
    }

    private let state = Mutex(State())
    private let policy: FailurePolicy
    private let clock: any HubClock
    private let transition: @Sendable (Transition) -> Void

    /// `clock` times the callers' patience and the pauses between retries.
    package init(_ policy: FailurePolicy, clock: any HubClock, transition: @escaping @Sendable (Transition) -> Void = { _ in }) {
        self.policy = policy
        self.clock = clock
        self.transition = transition
    }

    /// Callers waiting for a write (the next one or the one in flight).
    package var waitingCallers: Int { state.withLock { $0.waiting.count + $0.inFlight.count } }

    /// Adds `item` to the next write and waits for it (see `FailurePolicy` for what a failure does).
    /// `write` stores one batch; the caller that starts an idle writer lends it.
    package func submit(_ item: Batch.Item, write: @escaping @Sendable (Batch) async throws -> Void) async throws {
        try await submit(contentsOf: [item], write: write)
    }

    /// Adds `items` to the next write and waits for it, as one caller.
    package func submit(contentsOf items: [Batch.Item], write: @escaping @Sendable (Batch) async throws -> Void) async throws {
        var patience: Duration?
        if case .keepAndRetry(let p) = policy { patience = p }
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        let arrival = patience == nil ? nil : clock.now()
        try await withCheckedThrowingContinuation { (done: Waiter) in
            let (leads, waits, watches) = state.withLock { s -> (Bool, Bool, Bool) in
                for item in items { s.pending.add(item) }
                let waits = patience == nil || !s.failing
                var watches = false
                if waits {
                    s.waiting[id] = done
                    if let patience, let arrival {
                        // Each caller's own bound, counted from its arrival: whatever the write in flight does, it is answered by then.
                        s.deadlines.append((id, arrival.addingTimeInterval(patience.inMilliseconds / 1_000)))
                        watches = !s.watching
                        s.watching = true
                    }
                }
                guard !s.writing else { return (false, waits, watches) }
                s.writing = true
                return (true, waits, watches)
            }
            if !waits { done.resume() }
            if watches { Task { await self.watch() } }
            if patience == nil, let deadline = StoreDeadline.current {
                // A request's storage deadline holds while it queues behind other writes, too.
                timer = Task {
                    guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                    self.state.withLock { $0.take(id) }?.resume(throwing: StoreError.unavailable("no write within the request's deadline"))
                }
            }
            // The writes serve every caller, so none runs on the deadline of the caller that happened to start them.
            if leads { Task { await StoreDeadline.$current.withValue(nil) { await self.drain(write) } } }
        }
    }

    /// Writes until nothing is left.
    private func drain(_ write: @Sendable (Batch) async throws -> Void) async {
        var pause = Duration.seconds(1)
        while true {
            let batch = state.withLock { s in
                let taken = s.pending
                s.pending = Batch()
                s.inFlight = s.waiting
                s.waiting = [:]
                if taken.isEmpty { s.writing = false }
                return taken
            }
            guard !batch.isEmpty else {
                answer(nil)
                return
            }
            do {
                try await write(batch)
                let recovered = state.withLock { s in
                    defer { s.failing = false }
                    return s.failing
                }
                if recovered { transition(.recovered) }
                answer(nil)
                pause = .seconds(1)
            } catch {
                guard case .keepAndRetry = policy else {
                    answer(error)
                    continue
                }
                let first = state.withLock { s in
                    s.pending.restore(batch)
                    defer { s.failing = true }
                    return !s.failing
                }
                answer(nil)
                if first { transition(.failing(error)) }
                try? await clock.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }

    /// Answers each waiting caller whose patience is up, until none waits: one task and one timer at a
    /// time however many callers wait (a timer per caller costs more than the match it bounds).
    private func watch() async {
        while true {
            let next = state.withLock { s -> Date? in
                // Callers a write answered already need no timer.
                while s.deadlinesStart < s.deadlines.count, s.waiting[s.deadlines[s.deadlinesStart].id] == nil,
                    s.inFlight[s.deadlines[s.deadlinesStart].id] == nil
                {
                    s.deadlinesStart += 1
                }
                s.compactDeadlines()
                guard s.deadlinesStart < s.deadlines.count else {
                    s.watching = false
                    return nil
                }
                return s.deadlines[s.deadlinesStart].at
            }
            guard let next else { return }
            let wait = next.timeIntervalSince(clock.now())
            if wait > 0 { try? await clock.sleep(for: .milliseconds(Int64((wait * 1_000).rounded(.up)))) }
            let now = clock.now()
            let due = state.withLock { s -> [Waiter] in
                var due: [Waiter] = []
                while s.deadlinesStart < s.deadlines.count, s.deadlines[s.deadlinesStart].at <= now {
                    if let done = s.take(s.deadlines[s.deadlinesStart].id) { due.append(done) }
                    s.deadlinesStart += 1
                }
                return due
            }
            for done in due { done.resume() }
        }
    }

    /// Answers the callers of the write that just ended (those a timer has not answered already).
    private func answer(_ error: (any Error)?) {
        let callers = state.withLock { s in
            defer { s.inFlight = [:] }
            return s.inFlight.values
        }
        for done in callers {
            if let error { done.resume(throwing: error) } else { done.resume() }
        }
    }
}
