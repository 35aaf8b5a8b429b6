import Foundation
import PoolHubCore

let t0 = Date(timeIntervalSince1970: 1_800_000_000)
let scorer = Scorer(config: .standard, heartbeatTTL: 45)

func member(
    _ address: String, models: [String] = ["llama3.2"], gpuMemory: Int? = 16_384, slots: Int = 4, load: Int = 0,
    available: Bool = true, heartbeat: Date? = t0, stats: MinerStats = MinerStats(decayedAt: t0),
    uptime: UptimeLedger = UptimeLedger(), stake: Int = 0, at now: Date = t0
) -> FleetMember {
    let miner = Miner(
        address: MinerAddress(address)!, endpoint: "http://\(address).example.com",
        capabilities: MinerCapabilities(models: models, gpuMemory: gpuMemory, maxConcurrentJobs: slots), stake: stake,
        registeredAt: t0)
    let status = heartbeat.map {
        LiveStatus(available: available, currentLoad: load, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: $0)
    }
    return FleetMember(
        miner: miner, credential: MinerCredential(salt: [], digest: []), stats: stats, uptime: uptime, status: status,
        card: scorer.card(stats: stats, uptime: uptime, stake: stake, at: now))
}

extension Candidate {
    /// What the filters see of one member, read alone.
    init(_ member: FleetMember, slot: Int32 = 0, at now: Date) {
        self = withUnsafePointer(to: member) { Candidate(UnsafeBufferPointer(start: $0, count: 1), slot: 0, at: now) }
        self.slot = slot
    }
}
