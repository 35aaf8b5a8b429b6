import Foundation
import PoolHubCore
import PoolHubLive

/// Answers "which miners should run this job?" and holds a slot on the first one.
struct Matchmaker: Sendable {
    let live: any LiveState
    let clock: any HubClock
    let metrics: HubMetrics

    func match(_ request: MatchRequest) -> MatchResult {
        let started = ContinuousClock.now
        let result = live.match(request, at: clock.now())
        metrics.recordMatch(duration: ContinuousClock.now - started, matched: !result.miners.isEmpty)
        return result
    }

    func release(_ id: ReservationID) throws {
        guard live.release(id, at: clock.now()) != nil else { throw APIError.notFound("Reservation \(id)") }
    }
}
