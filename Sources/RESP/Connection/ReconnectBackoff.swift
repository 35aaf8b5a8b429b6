// When to try connecting again.

/// When the next connect attempt may start: immediately after a healthy connection was lost, then
/// 100 ms doubling to 2 s after each failed attempt. Calls before that fail fast instead of queueing.
struct ReconnectBackoff: Sendable, Equatable {
    static let initialDelay: Duration = .milliseconds(100)
    static let maximumDelay: Duration = .seconds(2)

    private(set) var failures = 0
    private(set) var retryAt: ContinuousClock.Instant?
    private(set) var lastError: RedisError?

    /// nil when an attempt may start at `now`, otherwise the time left.
    func waitRemaining(now: ContinuousClock.Instant) -> Duration? {
        guard let retryAt, now < retryAt else { return nil }
        return retryAt - now
    }

    /// Records a failed attempt and returns the delay before the next one.
    @discardableResult
    mutating func failed(_ error: RedisError, now: ContinuousClock.Instant) -> Duration {
        let delay = Self.delay(afterFailures: failures + 1)
        failures += 1
        retryAt = now + delay
        lastError = error
        return delay
    }

    mutating func succeeded() {
        self = ReconnectBackoff()
    }

    static func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let factor = 1 << min(failures - 1, 5)  // 100 ms · 2^5 already exceeds the cap
        return min(initialDelay * factor, maximumDelay)
    }
}
