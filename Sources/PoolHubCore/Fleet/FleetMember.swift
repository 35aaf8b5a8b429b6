// One registered miner as the hot state holds it: profile, status, history, score, leases.

package import Foundation

/// Everything the matcher knows about one registered miner, kept together so a candidate walk
/// touches one value per miner. Declaration order is layout order: what the filters read comes first,
/// so a candidate costs a few adjacent cache lines.
package struct FleetMember: Sendable {
    package var status: LiveStatus?
    /// Set after a hub restart for miners that were online when it stopped.
    package var graceUntil: Date?
    /// Expiry of each slot the hub has reserved on this miner (expired ones are purged lazily).
    package var leases: [Reservation] = []
    package var stats: MinerStats
    package var uptime: UptimeLedger
    package var card: ScoreCard
    package var miner: Miner
    package var credential: MinerCredential
    /// Set once the miner deregistered: it is kept for reads and history, never matched.
    package var deregisteredAt: Date?
    /// Set while an operator has cordoned the miner: it stays registered and heartbeating, but is never matched.
    package var cordonedAt: Date?

    package init(
        miner: Miner, credential: MinerCredential, stats: MinerStats, uptime: UptimeLedger, status: LiveStatus?,
        graceUntil: Date? = nil, card: ScoreCard, deregisteredAt: Date? = nil, cordonedAt: Date? = nil
    ) {
        self.deregisteredAt = deregisteredAt
        self.cordonedAt = cordonedAt
        self.miner = miner
        self.credential = credential
        self.stats = stats
        self.uptime = uptime
        self.status = status
        self.graceUntil = graceUntil
        self.card = card
    }

    package var score: Double { card.score }

    package var isListed: Bool { deregisteredAt == nil }

    package var isCordoned: Bool { cordonedAt != nil }

    package func reservedSlots(at now: Date) -> Int {
        var n = 0
        for lease in leases where lease.isLive(at: now) { n += 1 }
        return n
    }

    /// Slots in use: the load the miner reports and the slots the hub reserved overlap, so the larger counts.
    package func usedSlots(at now: Date) -> Int {
        max(status?.currentLoad ?? 0, reservedSlots(at: now))
    }

    /// The time a job is expected to take on this miner: its observed mean response time,
    /// or the prior estimate while it has none.
    package var estimatedTimeMs: Double { stats.observedResponseTimeMs ?? card.expectedResponseTimeMs }

    package mutating func purgeExpiredLeases(at now: Date) {
        if leases.contains(where: { !$0.isLive(at: now) }) { leases.removeAll { !$0.isLive(at: now) } }
    }
}
