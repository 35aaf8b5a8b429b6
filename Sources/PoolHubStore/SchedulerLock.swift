// The scheduler lock protocol, and the sole-instance lock.

/// Decides which hub instance runs the background schedulers.
package protocol SchedulerLock: Sendable {
    var isHeld: Bool { get }
    /// Keeps trying to take (and then keeps) the lock until the task is cancelled; releases it on cancellation.
    func run() async
}

/// The lock of a hub that runs alone (embedded SQLite): always held.
package struct SoleInstanceLock: SchedulerLock {
    package init() {}

    package var isHeld: Bool { true }

    package func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3_600))
        }
    }
}
