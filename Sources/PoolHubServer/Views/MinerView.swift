// The miner object and a page of miners.

import Foundation
import PoolHubCore

/// The miner object of API.md, as every read returns it.
struct MinerView: Encodable {
    struct Capabilities: Encodable {
        var models: [String]
        var gpuMemory: Int?
        var maxConcurrentJobs: Int
        var ramMemory: Int?
        var cpuCores: Int?
        var gpuName: String?
    }
    struct Status: Encodable {
        var online: Bool
        var available: Bool
        var currentLoad: Int
        var reserved: Int
        var gpuUtilization: Double?
        var temperature: Double?
        var lastHeartbeatAt: Date?
    }
    struct Stats: Encodable {
        var jobsCompleted: Int
        var jobsFailed: Int
        var successRate: Double?
        var avgResponseTimeMs: Double?
        var availability: Double?
    }

    var address: String
    var endpoint: String
    var capabilities: Capabilities
    var stake: Int
    var region: String?
    var tags: [String: String]
    var proto: String?
    /// A decimal string.
    var price: String?
    var chainID: String?
    var walletAddress: String?
    var registeredAt: Date
    var deregisteredAt: Date?
    /// An operator keeps the miner out of matching (cordon, drain).
    var cordoned: Bool
    var cordonedAt: Date?
    var status: Status
    /// Good, suspended after crossing a `[thresholds]` limit, or on probation.
    var standing: StandingView
    var score: Double
    var stats: Stats
    /// Only in the answer that issued it.
    var token: String?

    init(_ m: FleetMember, heartbeat: HeartbeatPolicy, at now: Date, token: String? = nil) {
        address = m.miner.address.value
        endpoint = m.miner.endpoint
        let c = m.miner.capabilities
        capabilities = Capabilities(
            models: c.models, gpuMemory: c.gpuMemory, maxConcurrentJobs: c.maxConcurrentJobs, ramMemory: c.ramMemory,
            cpuCores: c.cpuCores, gpuName: c.gpuName)
        stake = m.miner.stake
        region = m.miner.region
        tags = m.miner.tags
        proto = m.miner.proto
        price = m.miner.price?.description
        chainID = m.miner.chainID
        walletAddress = m.miner.walletAddress
        registeredAt = m.miner.registeredAt
        deregisteredAt = m.deregisteredAt
        cordoned = m.isCordoned
        cordonedAt = m.cordonedAt
        status = Status(
            online: m.isListed && heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now),
            available: m.status?.available ?? false, currentLoad: m.status?.currentLoad ?? 0, reserved: m.reservedSlots(at: now),
            gpuUtilization: m.status?.gpuUtilization, temperature: m.status?.temperature,
            lastHeartbeatAt: m.status?.lastHeartbeatAt)
        standing = StandingView(m.stats.standing, at: now)
        score = m.score
        stats = Stats(
            jobsCompleted: m.stats.jobsCompleted, jobsFailed: m.stats.jobsFailed, successRate: m.stats.observedSuccessRate,
            avgResponseTimeMs: m.stats.observedResponseTimeMs, availability: m.uptime.observedAvailability)
        self.token = token
    }
}

/// A page of `GET /api/v1/miners`.
struct MinerPageView: Encodable {
    var miners: [MinerView]
    var nextCursor: String?

    init(_ miners: [FleetMember], more: Bool, heartbeat: HeartbeatPolicy, at now: Date) {
        self.miners = miners.map { MinerView($0, heartbeat: heartbeat, at: now) }
        nextCursor = more ? miners.last?.miner.address.value : nil
    }
}
