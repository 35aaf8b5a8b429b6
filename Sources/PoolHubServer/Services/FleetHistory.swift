// The dashboard's data: the sampled history and the fleet per model now.

import Foundation
import PoolHubCore
import PoolHubLive

/// What the dashboard plots: the history ring's samples of the last minutes, and the fleet per model now.
struct FleetHistory: Sendable {
    let sampler: HistorySampler
    let live: any LiveState
    let clock: any HubClock
    let sampleInterval: TimeInterval
    let capacityAlertThresholdPct: Double

    func samples(lastMinutes minutes: Int) -> [HistorySample] {
        sampler.ring.samples(since: clock.now().addingTimeInterval(-Double(minutes) * 60))
    }

    /// Miners, online miners and slots per model (a miner serving two models counts under both), in model order,
    /// from the hot state's tallies: no scan of the fleet in its lock.
    func models() -> [(model: String, summary: ModelSummary)] {
        live.modelSummaries(at: clock.now()).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
