// A miner's decayed online time, from its heartbeats.

package import Foundation

/// How long a miner has been online, from its heartbeats, as decayed seconds.
///
/// Between two heartbeats `gap` seconds apart the miner was online for `min(gap, ttl)` seconds:
/// a status keeps it online for one TTL. Only the two sums are kept, not every heartbeat.
package struct UptimeLedger: Sendable, Equatable {
    package var onlineSeconds: Double = 0
    package var observedSeconds: Double = 0
    /// The instant up to which time has been accounted; nil before the first heartbeat.
    package var accountedUntil: Date?

    package init() {}

    package init(onlineSeconds: Double, observedSeconds: Double, accountedUntil: Date?) {
        self.onlineSeconds = onlineSeconds
        self.observedSeconds = observedSeconds
        self.accountedUntil = accountedUntil
    }

    /// The ledger after a heartbeat at `now`.
    package func recordingHeartbeat(at now: Date, ttl: TimeInterval, decay: Decay) -> UptimeLedger {
        var next = self.extended(to: now, ttl: ttl, decay: decay)
        next.accountedUntil = max(accountedUntil ?? now, now)
        return next
    }

    /// The ledger with the time since the last heartbeat counted, without a new heartbeat:
    /// online for up to one TTL, offline after that.
    package func extended(to now: Date, ttl: TimeInterval, decay: Decay) -> UptimeLedger {
        guard let since = accountedUntil, now > since else { return self }
        let gap = now.timeIntervalSince(since)
        let m = decay.multiplier(from: since, to: now)
        var next = self
        next.onlineSeconds = onlineSeconds * m + min(gap, ttl)
        next.observedSeconds = observedSeconds * m + gap
        next.accountedUntil = now
        return next
    }

    /// The observed share of time online, nil before any time was observed.
    package var observedAvailability: Double? { observedSeconds > 0 ? onlineSeconds / observedSeconds : nil }

    /// Skips a stretch of time that must not count for or against the miner (the hub itself was down).
    package func skipping(to instant: Date) -> UptimeLedger {
        guard let since = accountedUntil, instant > since else { return self }
        var next = self
        next.accountedUntil = instant
        return next
    }
}
