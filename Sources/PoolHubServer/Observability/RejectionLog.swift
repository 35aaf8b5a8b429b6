// Warnings for refused and failed requests, rate-limited so a flood cannot fill a disk.

import Foundation
import Logging
import Synchronization

/// Logs a warning for each 401/403 and each 5xx answer (method, route, status, request id, reason),
/// at most `burst` at once and `perSecond` after that; what it skips it counts and reports with the next
/// line it writes, so an operator knows a flood happened without the flood being written.
final class RejectionLog: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var suppressed = 0
    }

    let perSecond: Double
    let burst: Double
    private let bucket: Mutex<Bucket>

    init(perSecond: Double = 5, burst: Double = 20) {
        self.perSecond = perSecond
        self.burst = burst
        bucket = Mutex(Bucket(tokens: burst, refilledAt: .now))
    }

    static func isWorthAWarning(_ status: Int) -> Bool { status == 401 || status == 403 || status >= 500 }

    /// Logs one refused or failed request, unless over the rate; then counts it.
    func record(method: String, route: String, status: Int, reason: String, logger: Logger, at now: ContinuousClock.Instant = .now) {
        guard Self.isWorthAWarning(status) else { return }
        let suppressed: Int? = bucket.withLock { b in
            let elapsed = now - b.refilledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            b.tokens = min(burst, b.tokens + max(0, seconds) * perSecond)
            b.refilledAt = now
            guard b.tokens >= 1 else {
                b.suppressed += 1
                return nil
            }
            b.tokens -= 1
            defer { b.suppressed = 0 }
            return b.suppressed
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = [
            "method": .string(method), "route": .string(route), "status": .stringConvertible(status), "reason": .string(reason),
        ]
        if suppressed > 0 { metadata["suppressed_before"] = .stringConvertible(suppressed) }
        logger.warning(status >= 500 ? "request failed" : "request refused", metadata: metadata)
    }
}
