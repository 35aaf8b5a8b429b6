// SLA and capacity answers.

import Foundation
import PoolHubCore

// The JSON of the `/sla` routes: exactly the fields of API.md, absent values as null.

struct SLASampleView: Encodable {
    let sample: SLASample

    init(_ sample: SLASample) { self.sample = sample }

    enum CodingKeys: String, CodingKey {
        case minerId, metricType, value, threshold, isViolation, timestamp
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sample.minerID?.value, forKey: .minerId)
        try c.encode(sample.metric.rawValue, forKey: .metricType)
        try c.encode(sample.value, forKey: .value)
        try c.encode(sample.threshold, forKey: .threshold)
        try c.encode(sample.isViolation, forKey: .isViolation)
        try c.encode(sample.measuredAt, forKey: .timestamp)
    }
}

struct SLAViolationView: Encodable {
    let violation: SLAViolation

    init(_ violation: SLAViolation) { self.violation = violation }

    enum CodingKeys: String, CodingKey {
        case id, minerId, violationType, severity, value, threshold, startedAt, resolvedAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(violation.id, forKey: .id)
        try c.encode(violation.minerID?.value, forKey: .minerId)
        try c.encode(violation.metric.rawValue, forKey: .violationType)
        try c.encode(violation.severity.rawValue, forKey: .severity)
        try c.encode(violation.value, forKey: .value)
        try c.encode(violation.threshold, forKey: .threshold)
        try c.encode(violation.startedAt, forKey: .startedAt)
        try c.encode(violation.resolvedAt, forKey: .resolvedAt)
    }
}

struct CapacitySnapshotView: Encodable {
    var timestamp: Date
    var totalMiners: Int
    var onlineMiners: Int
    var totalSlots: Int
    var usedSlots: Int
    var utilizationPct: Double

    init(_ s: CapacitySnapshot) {
        timestamp = s.takenAt
        totalMiners = s.totalMiners
        onlineMiners = s.onlineMiners
        totalSlots = s.totalSlots
        usedSlots = s.usedSlots
        utilizationPct = s.utilizationPct
    }
}

struct SLAPassView: Encodable {
    var minersProcessed: Int
    var metricsRecorded: Int
    var violationsOpened: Int
    var violationsResolved: Int
    var capacity: CapacitySnapshotView

    init(_ pass: SLAPassSummary) {
        minersProcessed = pass.minersProcessed
        metricsRecorded = pass.metricsRecorded
        violationsOpened = pass.violationsOpened
        violationsResolved = pass.violationsResolved
        capacity = CapacitySnapshotView(pass.capacity)
    }
}

struct CapacityForecastView: Encodable {
    struct Point: Encodable {
        var timestamp: Date
        var utilizationPct: Double
        var lower: Double
        var upper: Double
    }

    let forecast: CapacityForecast

    init(_ forecast: CapacityForecast) { self.forecast = forecast }

    enum CodingKeys: String, CodingKey {
        case horizonHours, method, points, peakUtilizationPct, thresholdCrossingAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(forecast.horizonHours, forKey: .horizonHours)
        try c.encode(forecast.method.rawValue, forKey: .method)
        try c.encode(
            forecast.points.map { Point(timestamp: $0.timestamp, utilizationPct: $0.utilizationPct, lower: $0.lower, upper: $0.upper) },
            forKey: .points)
        try c.encode(forecast.peakUtilizationPct, forKey: .peakUtilizationPct)
        try c.encode(forecast.thresholdCrossingAt, forKey: .thresholdCrossingAt)
    }
}

struct ScalingAdviceView: Encodable {
    var action: String
    var miners: Int
    var model: String
    var reason: String
    var priority: String

    init(_ advice: ScalingAdvice) {
        action = advice.action.rawValue
        miners = advice.miners
        model = advice.model
        reason = advice.reason
        priority = advice.priority.rawValue
    }
}

struct SLAStatusView: Encodable {
    var status: String
    var activeViolations: Int
    var recentMetricsCount: Int
    var timestamp: Date

    init(_ s: SLAStatus) {
        status = s.health.rawValue
        activeViolations = s.openViolations
        recentMetricsCount = s.recentSamples
        timestamp = s.at
    }
}
