// Takes the dashboard's history samples from the fleet and the traffic counters.

import Foundation
import PoolHubCore
import PoolHubLive
import Synchronization

/// Turns the fleet's summary and the traffic counters into one `HistorySample` per call: rates are
/// the counters' growth since the previous call over the time between them (from the hub's clock).
final class HistorySampler: Sendable {
    let ring: HistoryRing
    let metrics: HubMetrics
    let live: any LiveState
    let clock: any HubClock
    private let previous: Mutex<(time: Date, matches: Int, heartbeats: Int)?> = Mutex(nil)

    init(ring: HistoryRing, metrics: HubMetrics, live: any LiveState, clock: any HubClock) {
        self.ring = ring
        self.metrics = metrics
        self.live = live
        self.clock = clock
    }

    @discardableResult
    func sample() -> HistorySample {
        let now = clock.now()
        let summary = live.summary(at: now)
        let matches = metrics.matchesServed
        let heartbeats = metrics.heartbeatsReceived
        let quantiles = metrics.matchLatency.drain(quantiles: [0.5, 0.99])
        let last = previous.withLock { p in
            defer { p = (now, matches, heartbeats) }
            return p
        }
        var matchRate = 0.0
        var heartbeatRate = 0.0
        if let last, now > last.time {
            let seconds = now.timeIntervalSince(last.time)
            matchRate = Double(matches - last.matches) / seconds
            heartbeatRate = Double(heartbeats - last.heartbeats) / seconds
        }
        let sample = HistorySample(
            time: now, minersTotal: summary.total, minersOnline: summary.online, minersAvailable: summary.available,
            slotsTotal: summary.totalSlots, slotsUsed: summary.usedSlots, reservations: summary.activeReservations,
            matchesPerSecond: matchRate, heartbeatsPerSecond: heartbeatRate, matchP50Seconds: quantiles?[0],
            matchP99Seconds: quantiles?[1])
        ring.append(sample)
        return sample
    }
}
