// The rules the hot state applies (scoring, heartbeat TTL, reservation TTL, pipeline).

package import Foundation
package import PoolHubCore

/// The rules the hot state applies: how miners are scored, when a heartbeat expires, how long a
/// reservation lasts and how a match walks the candidates.
package struct FleetPolicy: Sendable {
    package var scorer: Scorer
    package var heartbeat: HeartbeatPolicy
    package var reservationTTL: TimeInterval
    package var pipeline: MatchPipeline

    package init(scorer: Scorer, heartbeat: HeartbeatPolicy, reservationTTL: TimeInterval) {
        self.scorer = scorer
        self.heartbeat = heartbeat
        self.reservationTTL = reservationTTL
        self.pipeline = MatchPipeline(tieTolerance: 0.01 * scorer.config.maxScore)
    }
}
