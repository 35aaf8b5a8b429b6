// When a miner counts as online (heartbeat TTL, restart grace).

package import Foundation

/// When a miner counts as online.
///
/// A miner is online while its last status is younger than `ttl`. After a hub restart, miners
/// that were online when the hub stopped get `graceUntil` (restart + ttl) so the fleet does not
/// all drop at once while the hub waits for their next heartbeat.
package struct HeartbeatPolicy: Sendable, Equatable {
    package var ttl: TimeInterval

    package init(ttl: TimeInterval) { self.ttl = ttl }

    package func isOnline(lastHeartbeatAt: Date?, graceUntil: Date? = nil, at now: Date) -> Bool {
        if let graceUntil, now < graceUntil { return true }
        guard let lastHeartbeatAt else { return false }
        // Against the very instant the expiry queue fires at: `now - last < ttl` can round the other way.
        return now < expiry(of: lastHeartbeatAt)
    }

    package func expiry(of lastHeartbeatAt: Date) -> Date { lastHeartbeatAt.addingTimeInterval(ttl) }

    /// Seconds a miner should wait before its next heartbeat: a third of the TTL, so two may be lost.
    package var suggestedInterval: Int { max(1, Int(ttl / 3)) }
}
