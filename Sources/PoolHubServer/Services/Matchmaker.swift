// Matching and releasing reservations.

import Foundation
import PoolHubCore
import PoolHubLive

/// Answers "which miners should run this job?" and holds a slot on the first one.
struct Matchmaker: Sendable {
    let live: any LiveState
    let clock: any HubClock
    let metrics: HubMetrics
    /// Counts answered requests for `api_calls` billing.
    let meter: APICallMeter

    func match(_ request: MatchRequest) async throws(HubError) -> MatchResult {
        let started = ContinuousClock.now
        let result: MatchResult
        do {
            result = try await live.match(request, at: clock.now())
        } catch {
            throw .hotStateUnavailable(error.description)
        }
        metrics.recordMatch(duration: ContinuousClock.now - started, matched: !result.miners.isEmpty)
        await meter.count(tenant: request.tenantID, jobID: request.jobID, at: clock.now())
        return result
    }

    /// A match whose answer shows the matched miners as the fleet knows them (the AITBC wire's candidates).
    func matchMembers(_ request: MatchRequest) async throws(HubError) -> [FleetMember] {
        try await match(request).miners.compactMap { live.member($0.address) }
    }

    func release(_ id: ReservationID) async throws(HubError) {
        let released: Reservation?
        do {
            released = try await live.release(id, at: clock.now())
        } catch {
            throw .hotStateUnavailable(error.description)
        }
        guard released != nil else { throw .reservationNotFound(id.description) }
    }
}
