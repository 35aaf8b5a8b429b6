// The dashboard's data: the sampled history and the fleet per model now.

import Foundation
import PoolHubCore
import PoolHubLive

/// What the dashboard plots: the history ring's samples of the last minutes, and the fleet per model now.
struct FleetHistory: Sendable {
    struct ModelFleet: Sendable {
        var model: String
        var miners = 0
        var online = 0
        var slotsTotal = 0
        var slotsUsed = 0
    }

    let sampler: HistorySampler
    let live: any LiveState
    let clock: any HubClock
    let heartbeat: HeartbeatPolicy
    let sampleInterval: TimeInterval
    let capacityAlertThresholdPct: Double

    func samples(lastMinutes minutes: Int) -> [HistorySample] {
        sampler.ring.samples(since: clock.now().addingTimeInterval(-Double(minutes) * 60))
    }

    /// Miners, online miners and slots per model (a miner serving two models counts under both).
    func models() -> [ModelFleet] {
        let now = clock.now()
        var byModel: [String: ModelFleet] = [:]
        for m in live.members(where: { _ in true }) {
            let online = heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now)
            for model in m.miner.capabilities.models {
                var entry = byModel[model] ?? ModelFleet(model: model)
                entry.miners += 1
                if online {
                    entry.online += 1
                    entry.slotsTotal += m.miner.capabilities.maxConcurrentJobs
                    entry.slotsUsed += min(m.usedSlots(at: now), m.miner.capabilities.maxConcurrentJobs)
                }
                byModel[model] = entry
            }
        }
        return byModel.values.sorted { $0.model < $1.model }
    }
}
