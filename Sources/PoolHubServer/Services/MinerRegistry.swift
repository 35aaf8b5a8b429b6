// Registering, listing, heartbeating and deregistering miners.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// Registers miners, takes their heartbeats and deregisters them. Storage first, then hot state,
/// so what a caller was told has happened survives a crash.
struct MinerRegistry: Sendable {
    enum Outcome {
        /// `token` is the one the hub issued; nil when the miner chose its own.
        case created(FleetMember, token: String?)
        case updated(FleetMember, token: String?)
    }

    let store: any HubStore
    let live: any LiveState
    let clock: any HubClock
    let heartbeat: HeartbeatPolicy
    let decay: Decay
    let persistence: HeartbeatPersistence
    let metrics: HubMetrics

    func member(_ address: MinerAddress) async throws -> FleetMember {
        guard let member = await live.lookup(address) else { throw HubError.minerNotFound(address.value) }
        return member
    }

    /// The miner whose token a request carries alone (an AITBC heartbeat): 401 unless that token opens one miner's credential.
    func member(presenting token: String) async throws -> FleetMember {
        let key = MinerTokens.lookup(token)
        var found = live.member(withKey: key)
        if found == nil, let address = try await store.minerAddress(withKey: key) {
            // Registered through another hub instance a moment ago.
            found = await live.lookup(address)
        }
        guard let found, MinerTokens.verify(token, against: found.credential) else {
            throw HubError.unknownToken
        }
        return found
    }

    /// New address → created with a token. Known address → updated, but only with its token.
    func register(_ r: RegistrationRequest, presentedToken: String?) async throws -> Outcome {
        let now = clock.now()
        if let existing = await live.lookup(r.address) {
            guard let presented = r.chosenToken ?? presentedToken, MinerTokens.verify(presented, against: existing.credential) else {
                throw HubError.tokenRequired(r.address)
            }
            var credential = existing.credential
            var token: String?
            if r.rotateToken {
                (token, credential) = MinerTokens.issue()
            } else if credential.lookup == nil, r.chosenToken != nil {
                // Stored before tokens had lookups: from now on the token alone finds this miner.
                credential = MinerTokens.credential(for: presented)
            }
            let miner = profile(r, stake: r.stake ?? existing.miner.stake, registeredAt: existing.miner.registeredAt)
            try await store.updateMiner(miner, credential: credential, at: now)
            await live.upsert(miner, credential: credential, stats: existing.stats, at: now)
            return .updated(try await member(r.address), token: token)
        }
        var token: String?
        let credential: MinerCredential
        if let chosen = r.chosenToken {
            // A token alone names its miner (AITBC heartbeats carry nothing else), so two miners never share one.
            guard live.member(withKey: MinerTokens.lookup(chosen)) == nil else {
                throw HubError.tokenTaken
            }
            credential = MinerTokens.credential(for: chosen)
        } else {
            (token, credential) = MinerTokens.issue()
        }
        let miner = profile(r, stake: r.stake ?? 0, registeredAt: now)
        let stats = MinerStats(decayedAt: now)
        guard try await store.insertMiner(miner, credential: credential, stats: stats) else {
            throw HubError.addressTaken(r.address)
        }
        await live.upsert(miner, credential: credential, stats: stats, at: now)
        return .created(try await member(r.address), token: token)
    }

    /// A heartbeat. `current_load` may not exceed the miner's slots.
    func recordStatus(
        of member: FleetMember, available: Bool?, currentLoad: Int?, gpuUtilization: Double?, temperature: Double?
    ) async throws -> LiveStatus {
        guard member.isListed else { throw HubError.minerNotFound(member.miner.address.value) }
        if let currentLoad, currentLoad > member.miner.capabilities.maxConcurrentJobs {
            throw HubError.loadAboveSlots(maxConcurrentJobs: member.miner.capabilities.maxConcurrentJobs)
        }
        let previous = member.status
        let status = LiveStatus(
            available: available ?? previous?.available ?? true, currentLoad: currentLoad ?? previous?.currentLoad ?? 0,
            gpuUtilization: gpuUtilization ?? previous?.gpuUtilization, temperature: temperature ?? previous?.temperature,
            lastHeartbeatAt: clock.now())
        // Coming online or changing availability is stored at once, before the hot state takes it (a refused
        // transition changes nothing, here or on another instance); the rest is coalesced.
        let transition =
            previous.map {
                !heartbeat.isOnline(lastHeartbeatAt: $0.lastHeartbeatAt, graceUntil: member.graceUntil, at: status.lastHeartbeatAt)
                    || $0.available != status.available
            } ?? true
        if transition {
            let uptime = member.uptime.recordingHeartbeat(at: status.lastHeartbeatAt, ttl: heartbeat.ttl, decay: decay)
            try await persistence.record(status, uptime: uptime, of: member.miner.address, transition: true)
        }
        guard let uptime = await live.recordStatus(status, of: member.miner.address) else {
            throw HubError.minerNotFound(member.miner.address.value)
        }
        if !transition { try await persistence.record(status, uptime: uptime, of: member.miner.address, transition: false) }
        metrics.recordHeartbeat()
        return status
    }

    /// Listed miners in address order after `filter.after`, at most `limit` of them, and whether more follow.
    func list(_ filter: MinerFilter, limit: Int) -> (miners: [FleetMember], more: Bool) {
        let now = clock.now()
        let heartbeat = self.heartbeat
        let found = live.members { m in
            (filter.after.map { m.miner.address.value > $0 } ?? true) && filter.admits(m, heartbeat: heartbeat, at: now)
        }.sorted { $0.miner.address < $1.miner.address }
        return (Array(found.prefix(limit)), found.count > limit)
    }

    /// Takes a listed miner out of matching for good.
    func deregister(_ member: FleetMember) async throws {
        guard member.isListed else { throw HubError.minerNotFound(member.miner.address.value) }
        let now = clock.now()
        try await store.deregister(member.miner.address, at: now)
        await live.deregister(member.miner.address, at: now)
        persistence.forget(member.miner.address)
    }

    private func profile(_ r: RegistrationRequest, stake: Int, registeredAt: Date) -> Miner {
        Miner(
            address: r.address, endpoint: r.endpoint, capabilities: r.capabilities, stake: stake, region: r.region,
            tags: r.tags, registeredAt: registeredAt, proto: r.proto, price: r.price, chainID: r.chainID,
            walletAddress: r.walletAddress)
    }
}
