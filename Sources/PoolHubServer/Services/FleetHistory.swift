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
    let sampleInterval: TimeInterval
    let capacityAlertThresholdPct: Double

    func samples(lastMinutes minutes: Int) -> [HistorySample] {
        sampler.ring.samples(since: clock.now().addingTimeInterval(-Double(minutes) * 60))
    }

    /// Miners, online miners and slots per model (a miner serving two models counts under both), from the
    /// hot state's tallies: no scan of the fleet in its lock.
    func models() -> [ModelFleet] {
        live.modelSummaries(at: clock.now()).map { model, counts in
            ModelFleet(model: model, miners: counts.miners, online: counts.online, slotsTotal: counts.totalSlots, slotsUsed: counts.usedSlots)
        }.sorted { $0.model < $1.model }
    }
}
