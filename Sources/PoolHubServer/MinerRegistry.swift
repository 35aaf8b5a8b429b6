import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// A registration request, validated.
struct RegistrationRequest: Sendable {
    var address: MinerAddress
    var endpoint: String
    var capabilities: MinerCapabilities
    var stake: Int
    var region: String?
    var tags: [String: String]
    var rotateToken: Bool
}

/// Registers miners, takes their heartbeats and deregisters them. Storage first, then hot state,
/// so what a caller was told has happened survives a crash.
struct MinerRegistry: Sendable {
    enum Outcome {
        case created(FleetMember, token: String)
        case updated(FleetMember, token: String?)
    }

    let store: any HubStore
    let live: any LiveState
    let clock: any HubClock
    let heartbeat: HeartbeatPolicy

    func member(_ address: MinerAddress) async throws -> FleetMember {
        guard let member = await live.lookup(address) else { throw APIError.notFound("Miner \(address)") }
        return member
    }

    /// New address → created with a token. Known address → updated, but only with its token.
    func register(_ r: RegistrationRequest, presentedToken: String?) async throws -> Outcome {
        let now = clock.now()
        if let existing = await live.lookup(r.address) {
            guard let presentedToken, MinerTokens.verify(presentedToken, against: existing.credential) else {
                throw APIError.conflict(
                    "address_taken", "Miner \(r.address) is already registered; re-register with its token as Authorization: Bearer.")
            }
            var credential = existing.credential
            var token: String?
            if r.rotateToken { (token, credential) = MinerTokens.issue() }
            let miner = profile(r, registeredAt: existing.miner.registeredAt)
            try await store.updateMiner(miner, credential: credential, at: now)
            await live.upsert(miner, credential: credential, stats: existing.stats, at: now)
            return .updated(try await member(r.address), token: token)
        }
        let (token, credential) = MinerTokens.issue()
        let miner = profile(r, registeredAt: now)
        let stats = MinerStats(decayedAt: now)
        guard try await store.insertMiner(miner, credential: credential, stats: stats) else {
            throw APIError.conflict("address_taken", "Miner \(r.address) is already registered.")
        }
        await live.upsert(miner, credential: credential, stats: stats, at: now)
        return .created(try await member(r.address), token: token)
    }

    /// A heartbeat. `current_load` may not exceed the miner's slots.
    func recordStatus(
        of member: FleetMember, available: Bool?, currentLoad: Int?, gpuUtilization: Double?, temperature: Double?
    ) async throws -> LiveStatus {
        guard member.isListed else { throw APIError.notFound("Miner \(member.miner.address)") }
        if let currentLoad, currentLoad > member.miner.capabilities.maxConcurrentJobs {
            throw APIError.invalid([
                FieldProblem(field: "current_load", problem: "must be in 0..\(member.miner.capabilities.maxConcurrentJobs) (max_concurrent_jobs)")
            ])
        }
        let previous = member.status
        let status = LiveStatus(
            available: available ?? previous?.available ?? true, currentLoad: currentLoad ?? previous?.currentLoad ?? 0,
            gpuUtilization: gpuUtilization ?? previous?.gpuUtilization, temperature: temperature ?? previous?.temperature,
            lastHeartbeatAt: clock.now())
        guard let uptime = await live.recordStatus(status, of: member.miner.address) else {
            throw APIError.notFound("Miner \(member.miner.address)")
        }
        try await store.saveStatus(
            status, uptime: uptime, onlineUntil: heartbeat.expiry(of: status.lastHeartbeatAt), of: member.miner.address)
        return status
    }

    func deregister(_ member: FleetMember) async throws {
        let now = clock.now()
        try await store.deregister(member.miner.address, at: now)
        await live.deregister(member.miner.address, at: now)
    }

    private func profile(_ r: RegistrationRequest, registeredAt: Date) -> Miner {
        Miner(
            address: r.address, endpoint: r.endpoint, capabilities: r.capabilities, stake: r.stake, region: r.region,
            tags: r.tags, registeredAt: registeredAt)
    }
}
