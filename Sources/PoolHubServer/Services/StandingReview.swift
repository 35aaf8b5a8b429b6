// Suspending miners whose history crossed a threshold without a result to judge it.

import Foundation
import Logging
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// Results judge a miner's standing as they arrive; this catches the histories no result will judge: those stored
/// by an older hub (which left such a miner out for good) or crossing thresholds tightened since. Such a miner in
/// good standing is suspended, then on probation like any other. Runs with the score pass, on the scheduler holder.
struct StandingReview: Sendable {
    let store: any HubStore
    let live: any LiveState
    let clock: any HubClock
    let thresholds: ScoringConfig.Thresholds
    let logger: Logger

    /// Returns how many miners it suspended.
    @discardableResult
    func run() async throws -> Int {
        let now = clock.now()
        let due = live.members { m in m.stats.standing.phase(at: now) == .good && thresholds.breach(of: m.stats) != nil }
        var suspended = 0
        for member in due {
            let address = member.miner.address
            guard let stats = try await store.reviewStanding(address, thresholds: thresholds, at: now) else { continue }
            await live.takeStats(stats, of: address, at: now)
            suspended += 1
            logger.notice(
                "suspended a miner whose history crossed a threshold without a result",
                metadata: ["miner": "\(address)", "until": "\(stats.standing.suspendedUntil)"])
        }
        return suspended
    }
}
