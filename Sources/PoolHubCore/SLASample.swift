public import Foundation

/// One measurement of one SLA metric; `minerID` is nil for fleet-wide metrics (capacity availability).
public struct SLASample: Sendable, Equatable {
    public var minerID: MinerAddress?
    public var metric: SLAMetric
    public var value: Double
    public var threshold: Double
    /// nil when the threshold was met.
    public var severity: SLASeverity?
    public var measuredAt: Date

    public init(minerID: MinerAddress?, metric: SLAMetric, value: Double, threshold: Double, severity: SLASeverity?, measuredAt: Date) {
        self.minerID = minerID
        self.metric = metric
        self.value = value
        self.threshold = threshold
        self.severity = severity
        self.measuredAt = measuredAt
    }

    public var isViolation: Bool { severity != nil }
}

/// A stretch of time during which a miner (or the fleet) missed one metric. At most one is open per
/// miner and metric; a pass that finds the metric met again resolves it.
public struct SLAViolation: Sendable, Equatable {
    public var id: Int64
    public var minerID: MinerAddress?
    public var metric: SLAMetric
    public var severity: SLASeverity
    /// The latest measurement while open.
    public var value: Double
    public var threshold: Double
    public var startedAt: Date
    public var resolvedAt: Date?

    public init(
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
