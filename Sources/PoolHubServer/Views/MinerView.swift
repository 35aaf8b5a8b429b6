// The miner object and a page of miners, written straight to bytes (every miner read, registration and operator action).

import Foundation
import PoolHubCore

/// The miner object of API.md, as every read returns it. Written with `JSONWriter`: through JSONEncoder
/// (its snake-case keys above all) one miner cost twice what the rest of its request did. Absent
/// optionals are left out, as JSONEncoder leaves them; tags are written in key order.
struct MinerView {
    struct Capabilities {
        var models: [String]
        var gpuMemory: Int?
        var maxConcurrentJobs: Int
        var ramMemory: Int?
        var cpuCores: Int?
        var gpuName: String?
    }
    struct Status {
        var online: Bool
        var available: Bool
        var currentLoad: Int
        var reserved: Int
        var gpuUtilization: Double?
        var temperature: Double?
        var lastHeartbeatAt: Date?
    }
    struct Stats {
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

extension MinerView {
    var json: [UInt8] {
        var w = JSONWriter()
        w.object { w in fields(into: &w) }
        return w.bytes
    }

    /// The object's members, for an answer that adds its own (the AITBC status adds `miner_id`).
    func fields(into w: inout JSONWriter) {
        w.key("address")
        w.string(address)
        w.key("endpoint")
        w.string(endpoint)
        w.key("capabilities")
        w.object { w in
            w.key("models")
            w.array { w in for model in capabilities.models { w.string(model) } }
            w.optional("gpu_memory", capabilities.gpuMemory) { $0.number($1) }
            w.key("max_concurrent_jobs")
            w.number(capabilities.maxConcurrentJobs)
            w.optional("ram_memory", capabilities.ramMemory) { $0.number($1) }
            w.optional("cpu_cores", capabilities.cpuCores) { $0.number($1) }
            w.optional("gpu_name", capabilities.gpuName) { $0.string($1) }
        }
        w.key("stake")
        w.number(stake)
        w.optional("region", region) { $0.string($1) }
        w.key("tags")
        w.object { w in
            for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
                w.key(key)
                w.string(value)
            }
        }
        w.optional("proto", proto) { $0.string($1) }
        w.optional("price", price) { $0.string($1) }
        w.optional("chain_id", chainID) { $0.string($1) }
        w.optional("wallet_address", walletAddress) { $0.string($1) }
        w.key("registered_at")
        w.date(registeredAt)
        w.optional("deregistered_at", deregisteredAt) { $0.date($1) }
        w.key("cordoned")
        w.bool(cordoned)
        w.optional("cordoned_at", cordonedAt) { $0.date($1) }
        w.key("status")
        w.object { w in
            w.key("online")
            w.bool(status.online)
            w.key("available")
            w.bool(status.available)
            w.key("current_load")
            w.number(status.currentLoad)
            w.key("reserved")
            w.number(status.reserved)
            w.optional("gpu_utilization", status.gpuUtilization) { $0.number($1) }
            w.optional("temperature", status.temperature) { $0.number($1) }
            w.optional("last_heartbeat_at", status.lastHeartbeatAt) { $0.date($1) }
        }
        w.key("standing")
        standing.write(into: &w)
        w.key("score")
        w.number(score)
        w.key("stats")
        w.object { w in
            w.key("jobs_completed")
            w.number(stats.jobsCompleted)
            w.key("jobs_failed")
            w.number(stats.jobsFailed)
            w.optional("success_rate", stats.successRate) { $0.number($1) }
            w.optional("avg_response_time_ms", stats.avgResponseTimeMs) { $0.number($1) }
            w.optional("availability", stats.availability) { $0.number($1) }
        }
        w.optional("token", token) { $0.string($1) }
    }
}

/// A page of `GET /api/v1/miners`: `{"miners": [...], "next_cursor"}` (the cursor only while there is more).
enum MinerPageView {
    static func json(_ miners: [FleetMember], more: Bool, heartbeat: HeartbeatPolicy, at now: Date) -> [UInt8] {
        var w = JSONWriter(capacity: 1_024 * max(1, miners.count))
        w.object { w in
            w.key("miners")
            w.array { w in
                for member in miners { w.object { w in MinerView(member, heartbeat: heartbeat, at: now).fields(into: &w) } }
            }
            if more, let last = miners.last {
                w.key("next_cursor")
                w.string(last.miner.address.value)
            }
        }
        return w.bytes
    }
}
