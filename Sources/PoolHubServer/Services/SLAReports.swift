// Reads of the SLA history and the fleet's SLA verdict.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// Reads of the recorded SLA history: samples, violations, capacity snapshots and the fleet's verdict.
struct SLAReports: Sendable {
    let store: any HubStore
    let live: any LiveState
    let clock: any HubClock

    /// Samples of the last `hours`, newest first; of one miner when `miner` is set (which must be registered).
    func samples(of miner: String?, metric: SLAMetric?, hours: Double, limit: Int) async throws -> [SLASample] {
        var address: MinerAddress?
        if let miner {
            guard let known = MinerAddress(miner), await live.lookup(known) != nil else { throw HubError.minerNotFound(miner) }
            address = known
        }
        return try await store.slaSamples(minerID: address, metric: metric, since: since(hours), limit: limit)
    }

    func violations(of miner: MinerAddress?, resolved: Bool?, limit: Int) async throws -> [SLAViolation] {
        try await store.slaViolations(minerID: miner, resolved: resolved, limit: limit)
    }

    /// Snapshots of the last `hours`, oldest first; `model` nil is the whole fleet.
    func snapshots(model: String?, hours: Double) async throws -> [CapacitySnapshot] {
        try await store.capacitySnapshots(model: model, since: since(hours))
    }

    /// The fleet's verdict from its open violations, and how many samples the last hour recorded.
    func status() async throws -> SLAStatus {
        let now = clock.now()
        let open = try await store.openViolationCounts()
        return SLAStatus(
            health: SLAHealth(open), openViolations: open.open,
            recentSamples: try await store.slaSampleCount(since: now.addingTimeInterval(-3_600)), at: now)
    }

    private func since(_ hours: Double) -> Date { clock.now().addingTimeInterval(-hours * 3_600) }
}

/// The SLA summary of `GET /v1/sla/status`.
struct SLAStatus: Sendable {
    var health: SLAHealth
    var openViolations: Int
    var recentSamples: Int
    var at: Date
}
