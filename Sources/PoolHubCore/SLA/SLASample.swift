// SLA measurements and violations.

package import Foundation

/// One measurement of one SLA metric; `minerID` is nil for fleet-wide metrics (capacity availability).
package struct SLASample: Sendable, Equatable {
    package var minerID: MinerAddress?
    package var metric: SLAMetric
    package var value: Double
    package var threshold: Double
    /// nil when the threshold was met.
    package var severity: SLASeverity?
    package var measuredAt: Date

    package init(minerID: MinerAddress?, metric: SLAMetric, value: Double, threshold: Double, severity: SLASeverity?, measuredAt: Date) {
        self.minerID = minerID
        self.metric = metric
        self.value = value
        self.threshold = threshold
        self.severity = severity
        self.measuredAt = measuredAt
    }

    package var isViolation: Bool { severity != nil }
}

/// A stretch of time during which a miner (or the fleet) missed one metric. At most one is open per
/// miner and metric; a pass that finds the metric met again resolves it.
package struct SLAViolation: Sendable, Equatable {
    package var id: Int64
    package var minerID: MinerAddress?
    package var metric: SLAMetric
    package var severity: SLASeverity
    /// The latest measurement while open.
    package var value: Double
    package var threshold: Double
    package var startedAt: Date
    package var resolvedAt: Date?

    package init(
        id: Int64, minerID: MinerAddress?, metric: SLAMetric, severity: SLASeverity, value: Double, threshold: Double, startedAt: Date,
        resolvedAt: Date?
    ) {
        self.id = id
        self.minerID = minerID
        self.metric = metric
        self.severity = severity
        self.value = value
        self.threshold = threshold
        self.startedAt = startedAt
        self.resolvedAt = resolvedAt
    }
}
