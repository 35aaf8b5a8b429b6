package import Foundation
package import PoolHubCore
import Synchronization

/// A clock that only moves when told to.
package final class ManualClock: HubClock {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    package func now() -> Date { current.withLock { $0 } }

    package func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    package func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}
