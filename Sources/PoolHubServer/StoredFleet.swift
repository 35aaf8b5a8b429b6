import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// The fleet as durable storage holds it, turned into hot-state members.
///
/// Time the hub was not running counts neither for nor against a miner: one that was online when
/// the hub last heard from anyone keeps the heartbeat time it had left then, counted from now. After
/// a long stop that is up to one heartbeat TTL of grace; when a running instance reads the fleet
/// again (another one restarted, Redis came back) nothing shifts.
struct StoredFleet: FleetSource {
    let store: any HubStore
    let scorer: Scorer
    let heartbeat: HeartbeatPolicy
    let clock: any HubClock

    func fleet() async throws -> [FleetMember] {
        let stored = try await store.loadMiners()
        let now = clock.now()
        let lastSeen = stored.compactMap(\.status?.lastHeartbeatAt).max()
        return stored.map { restore($0, lastSeen: lastSeen, at: now) }
    }

    func member(_ address: MinerAddress) async throws -> FleetMember? {
        guard let stored = try await store.loadMiner(address) else { return nil }
        return restore(stored, lastSeen: nil, at: clock.now())
    }

    private func restore(_ s: StoredMiner, lastSeen: Date?, at now: Date) -> FleetMember {
        var uptime = s.uptime
        var graceUntil: Date?
        if s.deregisteredAt == nil, let beat = s.status?.lastHeartbeatAt, let lastSeen, lastSeen < now,
            heartbeat.isOnline(lastHeartbeatAt: beat, at: lastSeen)
        {
            graceUntil = heartbeat.expiry(of: beat).addingTimeInterval(now.timeIntervalSince(lastSeen))
            uptime = uptime.extended(to: min(now, heartbeat.expiry(of: beat)), ttl: heartbeat.ttl, decay: scorer.config.decay)
                .skipping(to: now)
        }
        return FleetMember(
            miner: s.miner, credential: s.credential, stats: s.stats, uptime: uptime, status: s.status, graceUntil: graceUntil,
            card: scorer.card(stats: s.stats, uptime: uptime, stake: s.miner.stake, at: now), deregisteredAt: s.deregisteredAt)
    }
}
