// Exponential forgetting of job history and uptime.

package import Foundation

/// Exponential forgetting: a count observed `days` ago weighs `factor^days` of a fresh one.
package struct Decay: Sendable, Equatable {
    /// Weight kept per day, in (0, 1].
    package var dailyFactor: Double

    package init(dailyFactor: Double) { self.dailyFactor = dailyFactor }

    package func multiplier(from then: Date, to now: Date) -> Double {
        let days = now.timeIntervalSince(then) / 86_400
        return days <= 0 ? 1 : pow(dailyFactor, days)
    }
}
