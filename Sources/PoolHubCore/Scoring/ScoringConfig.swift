// Weights, thresholds and intervals of scoring (config/scoring.toml).

package import Foundation

/// The scoring settings of `config/scoring.toml` plus `MAX_MINER_SCORE`.
package struct ScoringConfig: Sendable, Equatable {
    package struct Weights: Sendable, Equatable {
        package var successRate: Double
        package var latency: Double
        package var availability: Double
        package var reputation: Double

        package init(successRate: Double, latency: Double, availability: Double, reputation: Double) {
            self.successRate = successRate
            self.latency = latency
            self.availability = availability
            self.reputation = reputation
        }

        package var sum: Double { successRate + latency + availability + reputation }
    }

    /// Miners with enough history are not matched while they fall short of these: crossing the success
    /// rate or response time limit suspends a miner for a while, then puts it on probation (`Standing`).
    package struct Thresholds: Sendable, Equatable {
        package var minSuccessRate: Double
        /// ms; also the response time at which the latency term reaches 0.
        package var maxLatency: Double
        package var minAvailability: Double
        /// The first suspension, s; a repeat within a day of the last one's end doubles it, up to the maximum.
        package var suspensionSeconds: Double
        package var maxSuspensionSeconds: Double
        /// Results judged on their own after a suspension before the miner is in good standing again.
        package var probationJobs: Int

        package init(
            minSuccessRate: Double, maxLatency: Double, minAvailability: Double, suspensionSeconds: Double = 1_800,
            maxSuspensionSeconds: Double = 86_400, probationJobs: Int = 3
        ) {
            self.minSuccessRate = minSuccessRate
            self.maxLatency = maxLatency
            self.minAvailability = minAvailability
            self.suspensionSeconds = suspensionSeconds
            self.maxSuspensionSeconds = maxSuspensionSeconds
            self.probationJobs = probationJobs
        }
    }

    /// Seconds between full score recomputations.
    package var updateInterval: TimeInterval
    package var decay: Decay
    package var weights: Weights
    package var thresholds: Thresholds
    package var maxScore: Double

    package init(updateInterval: TimeInterval, decay: Decay, weights: Weights, thresholds: Thresholds, maxScore: Double) {
        self.updateInterval = updateInterval
        self.decay = decay
        self.weights = weights
        self.thresholds = thresholds
        self.maxScore = maxScore
    }

    /// The values of the docs page.
    package static let standard = ScoringConfig(
        updateInterval: 60,
        decay: Decay(dailyFactor: 0.95),
        weights: Weights(successRate: 0.4, latency: 0.25, availability: 0.2, reputation: 0.15),
        thresholds: Thresholds(minSuccessRate: 0.8, maxLatency: 5000, minAvailability: 0.95),
        maxScore: 1.0
    )
}

/// What the scorer assumes about a miner it knows little about, so that new miners are tried.
///
/// Each prior acts like that many observations of the prior value; real history soon outweighs it.
package enum ScoringPriors {
    /// A new miner is assumed to deliver 90 % of its jobs, worth 5 results.
    package static let successRate = 0.9
    package static let successRateWeight = 5.0
    /// A new miner is assumed to answer in half of `max_latency`, worth 2 results.
    package static let latencyWeight = 2.0
    /// A new miner is assumed 90 % available, worth one hour of observation.
    package static let availability = 0.9
    package static let availabilitySeconds = 3_600.0
    /// Stake that earns the full stake half of reputation (log scale: 100 000 → 1.0, 10 000 → 0.8).
    package static let fullStake = 100_000.0
    /// Results at which the history half of reputation reaches one half (for a miner that never fails).
    package static let historyHalfLife = 20.0
    /// History needed before `[thresholds]` exclude a miner: decayed results, and seconds observed.
    package static let thresholdOutcomes = 10.0
    package static let thresholdSeconds = 3_600.0
}
