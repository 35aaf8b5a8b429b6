// The injected clock.

package import Foundation

/// Where the hub reads the time. Injected everywhere so tests move time instead of sleeping.
package protocol HubClock: Sendable {
    func now() -> Date
}

package struct SystemClock: HubClock {
    package init() {}
    package func now() -> Date { Date() }
}
