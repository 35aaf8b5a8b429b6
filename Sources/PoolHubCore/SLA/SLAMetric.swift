// The SLA metrics the hub measures.

/// What the hub promises about a miner (or, for capacity, the whole fleet).
package enum SLAMetric: String, Sendable, CaseIterable {
    case uptime = "uptime_pct"
    case responseTime = "response_time_ms"
    case completionRate = "completion_rate_pct"
    case capacityAvailability = "capacity_availability_pct"

    /// Response time is the one metric where less is better.
    package var higherIsBetter: Bool { self != .responseTime }
}

package enum SLASeverity: String, Sendable, Equatable {
    case high, critical
}
