// How miners read back from storage resume after the hub was down.

package import Foundation

/// How a miner read back from storage resumes after the hub was not running.
///
/// Time the hub was not running counts neither for nor against a miner: one that was online when
/// the hub last heard from anyone keeps the heartbeat time it had left then, counted from now. After
/// a long stop that is up to one heartbeat TTL of grace; when a running instance reads the fleet
/// again (another one restarted, Redis came back) nothing shifts.
package struct RestartGrace: Sendable {
    package var heartbeat: HeartbeatPolicy
    package var decay: Decay
    /// How much older than the miner's real last heartbeat the stored one may be (heartbeats are
    /// stored coalesced): a stored heartbeat keeps its miner online that much longer.
    package var slack: TimeInterval

    package init(heartbeat: HeartbeatPolicy, decay: Decay, slack: TimeInterval = 0) {
        self.heartbeat = heartbeat
        self.decay = decay
        self.slack = slack
    }

    /// The grace end (nil: none) and uptime of a listed miner whose last heartbeat was `lastHeartbeatAt`,
    /// when the newest heartbeat of the whole fleet was `lastSeen` (nil: no grace for anyone).
    package func resume(
        lastHeartbeatAt beat: Date?, uptime: UptimeLedger, lastSeen: Date?, at now: Date
    ) -> (graceUntil: Date?, uptime: UptimeLedger) {
        let expiry = beat.map { heartbeat.expiry(of: $0).addingTimeInterval(slack) }
        guard let expiry, let lastSeen, lastSeen < now, lastSeen < expiry else { return (nil, uptime) }
        let graceUntil = expiry.addingTimeInterval(now.timeIntervalSince(lastSeen))
        let resumed = uptime.extended(to: min(now, expiry), ttl: heartbeat.ttl + slack, decay: decay).skipping(to: now)
        return (graceUntil, resumed)
    }
}
