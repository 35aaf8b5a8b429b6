public import Foundation

/// The scoring settings of `config/scoring.toml` plus `MAX_MINER_SCORE`.
public struct ScoringConfig: Sendable, Equatable {
    public struct Weights: Sendable, Equatable {
        public var successRate: Double
        public var latency: Double
        public var availability: Double
        public var reputation: Double

        public init(successRate: Double, latency: Double, availability: Double, reputation: Double) {
            self.successRate = successRate
            self.latency = latency
            self.availability = availability
            self.reputation = reputation
        }

        public var sum: Double { successRate + latency + availability + reputation }
    }

    /// Miners with enough history are not matched while they fall short of these.
    public struct Thresholds: Sendable, Equatable {
        public var minSuccessRate: Double
        /// ms; also the response time at which the latency term reaches 0.
        public var maxLatency: Double
        public var minAvailability: Double

        public init(minSuccessRate: Double, maxLatency: Double, minAvailability: Double) {
            self.minSuccessRate = minSuccessRate
            self.maxLatency = maxLatency
            self.minAvailability = minAvailability
        }
    }

    /// Seconds between full score recomputations.
    public var updateInterval: TimeInterval
    public var decay: Decay
    public var weights: Weights
    public var thresholds: Thresholds
    public var maxScore: Double

    public init(updateInterval: TimeInterval, decay: Decay, weights: Weights, thresholds: Thresholds, maxScore: Double) {
        self.updateInterval = updateInterval
        self.decay = decay
        self.weights = weights
        self.thresholds = thresholds
        self.maxScore = maxScore
    }

    /// The values of the docs page.
    public static let standard = ScoringConfig(
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
public enum ScoringPriors {
    /// A new miner is assumed to deliver 90 % of its jobs, worth 5 results.
    public static let successRate = 0.9
    public static let successRateWeight = 5.0
    /// A new miner is assumed to answer in half of `max_latency`, worth 2 results.
    public static let latencyWeight = 2.0
    /// A new miner is assumed 90 % available, worth one hour of observation.
    public static let availability = 0.9
    public static let availabilitySeconds = 3_600.0
    /// Stake that earns the full stake half of reputation (log scale: 100 000 → 1.0, 10 000 → 0.8).
    public static let fullStake = 100_000.0
    /// Results at which the history half of reputation reaches one half (for a miner that never fails).
    public static let historyHalfLife = 20.0
    /// History needed before `[thresholds]` exclude a miner: decayed results, and seconds observed.
    public static let thresholdOutcomes = 10.0
    public static let thresholdSeconds = 3_600.0
}
