// A miner's score, term by term, and the scorer that computes it.

package import Foundation

/// A miner's score with the per-term breakdown behind it.
///
/// `score = max_score × Σ weightᵢ·valueᵢ`, every value in [0, 1]:
/// - **success_rate** = (C + 5·0.9) / (C + F + 5): decayed completed C and failed F, with a prior of 90 % worth 5 results.
/// - **latency** = max(0, 1 − L / max_latency), L the mean response time of completed jobs with a prior of
///   max_latency/2 worth 2 results (so 1 800 ms against 5 000 ms gives 0.64).
/// - **availability** = (online_s + 0.9·3600) / (observed_s + 3600): decayed seconds online over seconds observed
///   since the first heartbeat, with a prior of 90 % worth one hour.
/// - **reputation** = ½·min(1, log₁₀(1 + stake) / 5) + ½·C / (C + F + 20): stake on a log scale
///   (100 000 earns the full half) and delivered history.
package struct ScoreCard: Sendable, Equatable {
    package struct Term: Sendable, Equatable {
        package var value: Double
        package var weight: Double

        package init(value: Double, weight: Double) {
            self.value = value
            self.weight = weight
        }

        /// weight × value: the term's share of `score / max_score`.
        package var contribution: Double { weight * value }
    }

    package var successRate: Term
    package var latency: Term
    package var availability: Term
    package var reputation: Term
    /// The mean response time (ms) the latency term used, prior included.
    package var expectedResponseTimeMs: Double
    package var maxScore: Double
    package var computedAt: Date

    package init(
        successRate: Term, latency: Term, availability: Term, reputation: Term, expectedResponseTimeMs: Double, maxScore: Double,
        computedAt: Date
    ) {
        self.successRate = successRate
        self.latency = latency
        self.availability = availability
        self.reputation = reputation
        self.expectedResponseTimeMs = expectedResponseTimeMs
        self.maxScore = maxScore
        self.computedAt = computedAt
    }

    package var score: Double {
        maxScore * (successRate.contribution + latency.contribution + availability.contribution + reputation.contribution)
    }
}

/// Computes score cards from what the hub knows about a miner.
package struct Scorer: Sendable {
    package var config: ScoringConfig
    package var heartbeatTTL: TimeInterval

    package init(config: ScoringConfig, heartbeatTTL: TimeInterval) {
        self.config = config
        self.heartbeatTTL = heartbeatTTL
    }

    package func card(stats: MinerStats, uptime: UptimeLedger, stake: Int, at now: Date) -> ScoreCard {
        let s = stats.decayed(to: now, by: config.decay)
        let u = uptime.extended(to: now, ttl: heartbeatTTL, decay: config.decay)
        let w = config.weights
        let expectedMs = Self.expectedResponseTime(s, maxLatency: config.thresholds.maxLatency)
        return ScoreCard(
            successRate: .init(value: Self.successRate(s), weight: w.successRate),
            latency: .init(value: Self.latencyScore(expectedMs, maxLatency: config.thresholds.maxLatency), weight: w.latency),
            availability: .init(value: Self.availability(u), weight: w.availability),
            reputation: .init(value: Self.reputation(s, stake: stake), weight: w.reputation),
            expectedResponseTimeMs: expectedMs,
            maxScore: config.maxScore,
            computedAt: now
        )
    }

    package static func successRate(_ s: MinerStats) -> Double {
        (s.completed + ScoringPriors.successRateWeight * ScoringPriors.successRate)
            / (s.outcomes + ScoringPriors.successRateWeight)
    }

    package static func expectedResponseTime(_ s: MinerStats, maxLatency: Double) -> Double {
        (s.responseTimeSumMs + ScoringPriors.latencyWeight * maxLatency / 2)
            / (s.responseTimeCount + ScoringPriors.latencyWeight)
    }

    package static func latencyScore(_ meanMs: Double, maxLatency: Double) -> Double {
        guard maxLatency > 0 else { return 0 }
        return min(1, max(0, 1 - meanMs / maxLatency))
    }

    package static func availability(_ u: UptimeLedger) -> Double {
        (u.onlineSeconds + ScoringPriors.availability * ScoringPriors.availabilitySeconds)
            / (u.observedSeconds + ScoringPriors.availabilitySeconds)
    }

    package static func reputation(_ s: MinerStats, stake: Int) -> Double {
        let stakeScore = min(1, log10(1 + Double(max(0, stake))) / log10(ScoringPriors.fullStake))
        let history = s.completed / (s.outcomes + ScoringPriors.historyHalfLife)
        return 0.5 * stakeScore + 0.5 * history
    }
}
