// A clock for tests that moves only when told to, waking the sleepers whose time has come.

package import Foundation
package import PoolHubCore
import Synchronization

/// A clock that only moves when told to.
package final class ManualClock: HubClock {
    private struct Sleeper {
        var until: Date
        var wake: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0

        mutating func takeDue() -> [Sleeper] {
            let due = sleepers.filter { $0.value.until <= now }
            for id in due.keys { sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
    }

    private let state: Mutex<State>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    package func now() -> Date { state.withLock { $0.now } }

    /// How many tasks are asleep on this clock (a test waits for them before it moves time).
    package var sleepers: Int { state.withLock { $0.sleepers.count } }

    package func sleep(for duration: Duration) async throws {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { s -> Bool in
                    let until = s.now + duration.inMilliseconds / 1_000
                    guard until > s.now, !Task.isCancelled else { return true }
                    s.sleepers[id] = Sleeper(until: until, wake: wake)
                    return false
                }
                if due { Task.isCancelled ? wake.resume(throwing: CancellationError()) : wake.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.wake.resume(throwing: CancellationError())
        }
    }

    package func set(_ date: Date) {
        wake(
            state.withLock { s in
                s.now = date
                return s.takeDue()
            })
    }

    package func advance(by seconds: TimeInterval) {
        wake(
            state.withLock { s in
                s.now += seconds
                return s.takeDue()
            })
    }

    private func wake(_ sleepers: [Sleeper]) {
        for sleeper in sleepers { sleeper.wake.resume() }
    }
}
