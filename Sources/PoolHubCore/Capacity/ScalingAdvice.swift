// Scale up / down / hold advice from a forecast.

package import Foundation

/// What to do about one model's capacity (`model` "*" is the whole fleet), and why.
package struct ScalingAdvice: Sendable, Equatable {
    package enum Action: String, Sendable {
        case scaleUp = "scale_up"
        case scaleDown = "scale_down"
        case hold
    }

    package enum Priority: String, Sendable {
        case high, medium, low
    }

    package var action: Action
    /// Miners to add (scale up) or that could go (scale down); 0 to hold.
    package var miners: Int
    package var model: String
    package var reason: String
    package var priority: Priority

    package static let fleet = "*"

    /// Scale up when the forecast reaches the alert threshold within the horizon (high priority when
    /// that is within a day), enough miners of today's average size to keep the forecast peak under it;
    /// scale down when the peak stays under half the threshold, keeping the peak under three quarters
    /// of it; hold otherwise, and whenever the history is too short to say.
    package static func advise(
        model: String, forecast: CapacityForecast, current: CapacitySnapshot?, alertThresholdPct: Double, now: Date
    ) -> ScalingAdvice {
        guard forecast.method != .insufficientHistory, let peak = forecast.peakUtilizationPct else {
            return ScalingAdvice(
                action: .hold, miners: 0, model: model,
                reason: "only \(forecast.historyHours) h of capacity history; a forecast needs \(CapacityForecaster.minimumHistoryHours) h",
                priority: .low)
        }
        let online = current?.onlineMiners ?? 0
        let slots = current?.totalSlots ?? 0
        let slotsPerMiner = online > 0 ? Double(slots) / Double(online) : 1
        let peakText = percent(peak)
        if let crossing = forecast.thresholdCrossingAt {
            let extraSlots = Double(slots) * (peak / alertThresholdPct - 1)
            let miners = max(1, Int((extraSlots / slotsPerMiner).rounded(.up)))
            let soon = crossing.timeIntervalSince(now) <= 24 * 3_600
            return ScalingAdvice(
                action: .scaleUp, miners: miners, model: model,
                reason: "utilisation is forecast to reach the \(percent(alertThresholdPct)) alert threshold at "
                    + "\(crossing.formatted(.iso8601)) and peak at \(peakText) within \(forecast.horizonHours) h",
                priority: soon ? .high : .medium)
        }
        if peak < alertThresholdPct / 2, online > 1 {
            let neededSlots = Double(slots) * peak / (alertThresholdPct * 0.75)
            let spare = min(online - 1, Int(((Double(slots) - neededSlots) / slotsPerMiner).rounded(.down)))
            if spare >= 1 {
                return ScalingAdvice(
                    action: .scaleDown, miners: spare, model: model,
                    reason: "forecast peak \(peakText) stays under half the \(percent(alertThresholdPct)) alert threshold "
                        + "for \(forecast.horizonHours) h",
                    priority: .low)
            }
        }
        return ScalingAdvice(
            action: .hold, miners: 0, model: model,
            reason: "forecast peak \(peakText) stays under the \(percent(alertThresholdPct)) alert threshold for \(forecast.horizonHours) h",
            priority: .low)
    }

    private static func percent(_ value: Double) -> String { String(format: "%.1f %%", value) }
}
