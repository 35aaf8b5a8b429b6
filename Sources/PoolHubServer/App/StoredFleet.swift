// The fleet read from storage into hot-state members.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// The fleet as durable storage holds it, turned into hot-state members (resumed by `RestartGrace`).
struct StoredFleet: FleetSource {
    let store: any HubStore
    let scorer: Scorer
    let heartbeat: HeartbeatPolicy
    /// How old a stored heartbeat may be although the miner was online (`HeartbeatPersistence`).
    let persistInterval: TimeInterval
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
        let (graceUntil, uptime) = RestartGrace(heartbeat: heartbeat, decay: scorer.config.decay, slack: persistInterval).resume(
            lastHeartbeatAt: s.deregisteredAt == nil ? s.status?.lastHeartbeatAt : nil, uptime: s.uptime, lastSeen: lastSeen, at: now)
        return FleetMember(
            miner: s.miner, credential: s.credential, stats: s.stats, uptime: uptime, status: s.status, graceUntil: graceUntil,
            card: scorer.card(stats: s.stats, uptime: uptime, stake: s.miner.stake, at: now), deregisteredAt: s.deregisteredAt,
            cordonedAt: s.cordonedAt)
    }
}
