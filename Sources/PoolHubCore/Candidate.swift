public import Foundation

/// What the match filters know about one miner: plain values only, read field by field out of the
/// fleet, so the candidate walk copies nothing reference-counted. (Copying whole members cost a
/// dozen retains each, and under concurrent matches every retain was a cache miss on the other core.)
public struct Candidate: Sendable, Equatable {
    public var slot: Int32
    public var lastHeartbeatAt: Date?
    public var graceUntil: Date?
    public var available: Bool
    /// `max(current_load, reserved)`: reported load and reservations overlap.
    public var usedSlots: Int
    public var maxConcurrentJobs: Int
    public var gpuMemory: Int?
    public var ramMemory: Int?
    public var estimatedTimeMs: Double
    public var outcomes: Double
    public var observedSuccessRate: Double?
    public var observedResponseTimeMs: Double?
    public var observedSeconds: Double
    public var observedAvailability: Double?

    /// Reads member `slot` in place.
    public init(_ members: UnsafeBufferPointer<FleetMember>, slot: Int32, at now: Date) {
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
        estimatedTimeMs = members[i].stats.observedResponseTimeMs ?? members[i].card.expectedResponseTimeMs
        outcomes = members[i].stats.outcomes
        observedSuccessRate = members[i].stats.observedSuccessRate
        observedResponseTimeMs = members[i].stats.observedResponseTimeMs
        observedSeconds = members[i].uptime.observedSeconds
        observedAvailability = members[i].uptime.observedAvailability
    }

    public init(_ member: FleetMember, slot: Int32 = 0, at now: Date) {
        self = withUnsafePointer(to: member) { Candidate(UnsafeBufferPointer(start: $0, count: 1), slot: 0, at: now) }
        self.slot = slot
    }

    public var hasFreeSlot: Bool { usedSlots < maxConcurrentJobs }

    /// Share of capacity in use, for spreading work among near-equal miners.
    public var utilization: Double { Double(usedSlots) / Double(max(1, maxConcurrentJobs)) }
}
