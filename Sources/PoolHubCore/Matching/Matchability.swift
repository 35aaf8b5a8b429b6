// Why a miner cannot be matched now, whatever the request.

package import Foundation

/// Why a listed miner cannot take any job now, in the order a match answer's `rejected` counts them:
/// a miner is counted under the first that holds. Anything else (a requirement of the request, its
/// `exclude` list) is judged per request; see `MatchRequest.requirementFilters`.
package enum Unmatchable: String, CaseIterable, Sendable {
    /// An operator took it out of rotation (cordon, drain): the reason an operator wants to see first.
    case cordoned
    /// It crossed a `[thresholds]` limit; it comes back on probation when the suspension ends.
    case suspended
    case offline
    case unavailable
    case atCapacity = "at_capacity"
    case successRate = "success_rate"
    case slow
    case availability

    /// The filter that tells this reason.
    package var filter: any MatchFilter {
        switch self {
        case .cordoned: CordonFilter()
        case .suspended: SuspensionFilter()
        case .offline: OnlineFilter()
        case .unavailable: AvailableFilter()
        case .atCapacity: CapacityFilter()
        case .successRate: SuccessRateThreshold()
        case .slow: ResponseTimeThreshold()
        case .availability: AvailabilityThreshold()
        }
    }

    /// The first reason `candidate` cannot be matched now; nil when it can.
    package static func first(for candidate: Candidate, in context: FilterContext) -> Unmatchable? {
        allCases.first { !$0.filter.admits(candidate, in: context) }
    }
}

extension FleetMember {
    /// When this miner's matchability can next change by time alone: its heartbeat (or restart grace)
    /// expires, a reservation on it does, or its suspension ends. nil: nothing pending.
    package func nextExpiry(at now: Date, heartbeat: HeartbeatPolicy) -> Date? {
        var next: Date?
        if stats.standing.suspendedUntil > now { next = stats.standing.suspendedUntil }
        let online = [status.map { heartbeat.expiry(of: $0.lastHeartbeatAt) }, graceUntil].compactMap { $0 }.max()
        if let online, online > now { next = min(next ?? online, online) }
        for lease in leases where lease.expiresAt > now { next = min(next ?? lease.expiresAt, lease.expiresAt) }
        return next
    }
}
