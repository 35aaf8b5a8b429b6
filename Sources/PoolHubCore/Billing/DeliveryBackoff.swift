// How long an undelivered usage record waits before its next attempt.

package import Foundation

/// How long a usage record waits before its next delivery attempt: exponential in the number of
/// failed attempts, capped, with equal jitter (half fixed, half random) so that records that failed
/// together, or several hubs, do not all come back at the same instant.
package struct DeliveryBackoff: Sendable, Equatable {
    /// The wait after the first failure (before jitter).
    package var base: TimeInterval
    package var cap: TimeInterval

    package init(base: TimeInterval = 30, cap: TimeInterval = 3_600) {
        self.base = base
        self.cap = cap
    }

    /// The wait after `failures` failed attempts (1 or more); `jitter` is a random number in 0..<1.
    package func delay(afterFailures failures: Int, jitter: Double) -> TimeInterval {
        let exponent = Double(min(max(failures, 1) - 1, 62))
        let ceiling = min(cap, base * pow(2, exponent))
        return ceiling / 2 + ceiling / 2 * min(max(jitter, 0), 1)
    }
}

/// What one delivery attempt of a usage record means for it.
package enum DeliveryVerdict: Sendable, Equatable {
    /// The coordinator has the record (2xx, or 409: it had it already).
    case acknowledged
    /// The coordinator refuses this record for good: kept, shown, never sent again.
    case rejected
    /// Try again later: the coordinator or the way to it failed, not the record.
    case retry

    /// The verdict on an HTTP answer. 401/403 (our credentials), 408, 425 and 429 (the coordinator's
    /// state) say nothing against the record, so they are retried like a 5xx rather than losing the usage.
    package init(status: Int) {
        switch status {
        case 200..<300, 409: self = .acknowledged
        case 401, 403, 408, 425, 429: self = .retry
        case 400..<500: self = .rejected
        default: self = .retry
        }
    }
}
