// The injected clock.

package import Foundation

/// Where the hub reads the time and waits on it. Injected everywhere so tests move time instead of sleeping.
package protocol HubClock: Sendable {
    func now() -> Date
    /// Returns once `duration` of this clock's time has passed (throws when cancelled).
    func sleep(for duration: Duration) async throws
}

package struct SystemClock: HubClock {
    package init() {}
    package func now() -> Date { Date() }
    package func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
