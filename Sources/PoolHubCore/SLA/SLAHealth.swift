// The fleet's SLA verdict from its open violations.

/// Open SLA violations, counted.
package struct OpenViolationCounts: Sendable, Equatable {
    package var open: Int
    package var critical: Int

    package init(open: Int, critical: Int) {
        self.open = open
        self.critical = critical
    }
}

/// The fleet's SLA verdict (the AITBC CLI's `/v1/sla/status`): `critical` while any open violation is
/// critical, `degraded` while any is open, else `healthy`.
package enum SLAHealth: String, Sendable, Equatable {
    case healthy, degraded, critical

    package init(_ counts: OpenViolationCounts) {
        self = counts.critical > 0 ? .critical : counts.open > 0 ? .degraded : .healthy
    }
}
