// The plain values the match filters read of one miner.

package import Foundation

/// What the match filters know about one miner: plain values only, read field by field out of the
/// fleet, so the candidate walk copies nothing reference-counted. (Copying whole members cost a
/// dozen retains each, and under concurrent matches every retain was a cache miss on the other core.)
package struct Candidate: Sendable, Equatable {
    package var slot: Int32
    package var lastHeartbeatAt: Date?
    package var graceUntil: Date?
    package var available: Bool
    /// `max(current_load, reserved)`: reported load and reservations overlap.
    package var usedSlots: Int
    package var maxConcurrentJobs: Int
    package var gpuMemory: Int?
    package var ramMemory: Int?
    package var priceMicros: Int64?
    package var estimatedTimeMs: Double
    package var outcomes: Double
    package var observedSuccessRate: Double?
    package var observedResponseTimeMs: Double?
    package var observedSeconds: Double
    package var observedAvailability: Double?
    package var cordoned: Bool
    package var suspendedUntil: Date
    /// Results still to judge on probation (0: good standing once any suspension ended).
    package var probationJobsLeft: Int

    /// Reads member `slot` in place.
    package init(_ members: UnsafeBufferPointer<FleetMember>, slot: Int32, at now: Date) {
        let i = Int(slot)
        self.slot = slot
        lastHeartbeatAt = members[i].status?.lastHeartbeatAt
        graceUntil = members[i].graceUntil
        available = members[i].status?.available ?? false
        var reserved = 0
        for k in members[i].leases.indices where members[i].leases[k].expiresAt > now { reserved += 1 }
        usedSlots = max(members[i].status?.currentLoad ?? 0, reserved)
        maxConcurrentJobs = members[i].miner.capabilities.maxConcurrentJobs
        gpuMemory = members[i].miner.capabilities.gpuMemory
        ramMemory = members[i].miner.capabilities.ramMemory
        priceMicros = members[i].miner.priceMicros
        estimatedTimeMs = members[i].stats.observedResponseTimeMs ?? members[i].card.expectedResponseTimeMs
        outcomes = members[i].stats.outcomes
        observedSuccessRate = members[i].stats.observedSuccessRate
        observedResponseTimeMs = members[i].stats.observedResponseTimeMs
        observedSeconds = members[i].uptime.observedSeconds
        observedAvailability = members[i].uptime.observedAvailability
        cordoned = members[i].cordonedAt != nil
        suspendedUntil = members[i].stats.standing.suspendedUntil
        probationJobsLeft = members[i].stats.standing.probationJobsLeft
    }

    /// Not suspended and not on probation: the `[thresholds]` judge only such miners (the others are judged
    /// result by result, see `MinerStats.judging`).
    package func inGoodStanding(at now: Date) -> Bool { probationJobsLeft == 0 && now >= suspendedUntil }

    package var hasFreeSlot: Bool { usedSlots < maxConcurrentJobs }

    /// Share of capacity in use, for spreading work among near-equal miners.
    package var utilization: Double { Double(usedSlots) / Double(max(1, maxConcurrentJobs)) }
}
