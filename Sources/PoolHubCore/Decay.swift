public import Foundation

/// Exponential forgetting: a count observed `days` ago weighs `factor^days` of a fresh one.
public struct Decay: Sendable, Equatable {
    /// Weight kept per day, in (0, 1].
    public var dailyFactor: Double

    public init(dailyFactor: Double) { self.dailyFactor = dailyFactor }

    public func multiplier(from then: Date, to now: Date) -> Double {
        let days = now.timeIntervalSince(then) / 86_400
        return days <= 0 ? 1 : pow(dailyFactor, days)
    }
}
