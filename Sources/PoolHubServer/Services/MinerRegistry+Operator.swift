// An operator's actions on one miner: cordon, uncordon, drain, a new token.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// How far a drain has come: the miner is cordoned; it is drained once no reservation is left on it.
struct DrainProgress: Sendable {
    var member: FleetMember
    var reservations: Int
    var drained: Bool { reservations == 0 }
}

extension MinerRegistry {
    /// Takes a listed miner out of rotation: it stays registered and heartbeating, never matched.
    /// Storage first (it survives restarts), then hot state, announced to the other instances.
    /// Cordoning a cordoned miner keeps the first time.
    func cordon(_ member: FleetMember) async throws -> FleetMember {
        guard member.isListed else { throw HubError.minerNotFound(member.miner.address.value) }
        if member.isCordoned { return member }
        return try await setCordon(member.miner.address, cordonedAt: clock.now())
    }

    func uncordon(_ member: FleetMember) async throws -> FleetMember {
        guard member.isListed else { throw HubError.minerNotFound(member.miner.address.value) }
        guard member.isCordoned else { return member }
        return try await setCordon(member.miner.address, cordonedAt: nil)
    }

    /// Cordons the miner and says how many reservations it still holds; asked again, it reports progress.
    func drain(_ member: FleetMember) async throws -> DrainProgress {
        let cordoned = try await cordon(member)
        return DrainProgress(member: cordoned, reservations: cordoned.reservedSlots(at: clock.now()))
    }

    /// Issues a new token, shown once; the old one stops opening the miner as soon as the change is
    /// stored and announced (storage first, so an instance that reads the miner again gets the new one).
    func resetToken(_ member: FleetMember) async throws -> (member: FleetMember, token: String) {
        guard member.isListed else { throw HubError.minerNotFound(member.miner.address.value) }
        let (token, credential) = MinerTokens.issue()
        let now = clock.now()
        try await store.updateMiner(member.miner, credential: credential, at: now)
        await live.upsert(member.miner, credential: credential, stats: member.stats, at: now)
        return (try await self.member(member.miner.address), token)
    }

    private func setCordon(_ address: MinerAddress, cordonedAt: Date?) async throws -> FleetMember {
        try await store.setCordon(address, cordonedAt: cordonedAt, at: clock.now())
        await live.setCordon(address, cordonedAt: cordonedAt)
        return try await member(address)
    }
}
