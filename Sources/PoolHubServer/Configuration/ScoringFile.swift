// Reading config/scoring.toml.

import Foundation
package import PoolHubCore
import TOMLKit

/// Reads `config/scoring.toml`: `[scoring] update_interval, decay_factor`, `[weights]`, `[thresholds]`.
/// A missing key keeps the docs page's value; a wrong one is a ConfigurationError naming it.
package enum ScoringFile {
    package static func parse(_ text: String, file: String, base: ScoringConfig = .standard) throws(ConfigurationError) -> ScoringConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file, "is not valid TOML (line \(error.source.begin.line)): \(error.description)")
        } catch {
            throw ConfigurationError(file, "is not valid TOML")
        }
        var config = base
        func number(_ section: String, _ key: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
            guard let value = table[section]?.table?[key] else { return nil }
            guard let n = value.double ?? value.int.map(Double.init), range.contains(n) else {
                throw ConfigurationError("\(file) [\(section)] \(key)", "must be a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        if let v = try number("scoring", "update_interval", 1...86_400) { config.updateInterval = v }
        if let v = try number("scoring", "decay_factor", 0.01...1) { config.decay = Decay(dailyFactor: v) }
        if let v = try number("weights", "success_rate", 0...1) { config.weights.successRate = v }
        if let v = try number("weights", "latency", 0...1) { config.weights.latency = v }
        if let v = try number("weights", "availability", 0...1) { config.weights.availability = v }
        if let v = try number("weights", "reputation", 0...1) { config.weights.reputation = v }
        if let v = try number("thresholds", "min_success_rate", 0...1) { config.thresholds.minSuccessRate = v }
        if let v = try number("thresholds", "max_latency", 1...86_400_000) { config.thresholds.maxLatency = v }
        if let v = try number("thresholds", "min_availability", 0...1) { config.thresholds.minAvailability = v }
        if let v = try number("thresholds", "suspension_seconds", 1...31_536_000) { config.thresholds.suspensionSeconds = v }
        if let v = try number("thresholds", "max_suspension_seconds", 1...31_536_000) { config.thresholds.maxSuspensionSeconds = v }
        if let v = try number("thresholds", "probation_jobs", 1...1_000) {
            guard v.rounded() == v else { throw ConfigurationError("\(file) [thresholds] probation_jobs", "must be a whole number") }
            config.thresholds.probationJobs = Int(v)
        }
        guard config.thresholds.suspensionSeconds <= config.thresholds.maxSuspensionSeconds else {
            throw ConfigurationError("\(file) [thresholds] suspension_seconds", "must not exceed max_suspension_seconds")
        }
        guard abs(config.weights.sum - 1) < 1e-6 else {
            throw ConfigurationError("\(file) [weights]", "must add up to 1 (they add up to \(config.weights.sum))")
        }
        return config
    }
}
