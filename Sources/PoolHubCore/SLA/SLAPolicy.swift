// SLA thresholds and how a measurement is judged.

package import Foundation

/// Thresholds of the SLA and how a measurement is judged against them.
///
/// A value past its threshold is a `high` violation; it is `critical` when it misses by at least the
/// room the threshold leaves: for a percentage with threshold T, at or below T − (100 − T)
/// (95 → 90, 90 → 80, 80 → 60); for response time, at or above twice the threshold.
package struct SLAPolicy: Sendable, Equatable {
    package var uptimePct: Double = 95
    package var responseTimeMs: Double = 1_000
    package var completionRatePct: Double = 90
    package var capacityAvailabilityPct: Double = 80
    /// How far back each pass looks.
    package var window: TimeInterval = 24 * 3_600
    /// How long the hub must have watched a miner before judging its uptime; nil: one heartbeat TTL.
    package var minObservation: TimeInterval?

    package init() {}

    package func threshold(for metric: SLAMetric) -> Double {
        switch metric {
        case .uptime: uptimePct
        case .responseTime: responseTimeMs
        case .completionRate: completionRatePct
        case .capacityAvailability: capacityAvailabilityPct
        }
    }

    /// nil when `value` meets the threshold.
    package func severity(of metric: SLAMetric, value: Double) -> SLASeverity? {
        let t = threshold(for: metric)
        if metric.higherIsBetter {
            guard value < t else { return nil }
            return value <= t - (100 - t) ? .critical : .high
        }
        guard value > t else { return nil }
        return value >= 2 * t ? .critical : .high
    }

    package func sample(_ metric: SLAMetric, of miner: MinerAddress?, value: Double, at now: Date) -> SLASample {
        SLASample(
            minerID: miner, metric: metric, value: value, threshold: threshold(for: metric),
            severity: severity(of: metric, value: value), measuredAt: now)
    }
}
