// Capacity forecasts and scaling advice from the recorded snapshots.

import Foundation
import PoolHubCore
import PoolHubStore

/// Forecasts and scaling advice from the recorded capacity snapshots.
struct CapacityPlanner: Sendable {
    let store: any HubStore
    let clock: any HubClock
    let horizonHours: Int
    let alertThresholdPct: Double
    /// The forecast fits at most the last four weeks: enough seasons, and recent behaviour counts most.
    static let history: TimeInterval = 28 * 86_400

    func forecast(model: String? = nil, hours: Int? = nil) async throws -> CapacityForecast {
        let snapshots = try await store.capacitySnapshots(model: model, since: clock.now().addingTimeInterval(-Self.history))
        return CapacityForecaster(alertThresholdPct: alertThresholdPct).forecast(snapshots, hours: hours ?? horizonHours)
    }

    /// The fleet first ("*"), then each model that has snapshots.
    func recommendations() async throws -> [ScalingAdvice] {
        let now = clock.now()
        let since = now.addingTimeInterval(-Self.history)
        let models: [String?] = [nil] + (try await store.snapshotModels(since: since))
        var advice: [ScalingAdvice] = []
        for model in models {
            let snapshots = try await store.capacitySnapshots(model: model, since: since)
            let forecast = CapacityForecaster(alertThresholdPct: alertThresholdPct).forecast(snapshots, hours: horizonHours)
            advice.append(
                ScalingAdvice.advise(
                    model: model ?? ScalingAdvice.fleet, forecast: forecast, current: snapshots.last, alertThresholdPct: alertThresholdPct,
                    now: now))
        }
        return advice
    }
}
