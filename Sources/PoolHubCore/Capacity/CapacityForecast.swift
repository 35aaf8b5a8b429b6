// The capacity forecast (Holt-Winters) and its threshold crossing.

package import Foundation

/// Predicted utilisation of the fleet's slots, hour by hour.
package struct CapacityForecast: Sendable, Equatable {
    package struct Point: Sendable, Equatable {
        package var timestamp: Date
        package var utilizationPct: Double
        /// The 95 % prediction band.
        package var lower: Double
        package var upper: Double
    }

    package enum Method: String, Sendable {
        case holtWinters = "holt_winters_additive"
        /// Too little history to forecast; there are no points.
        case insufficientHistory = "insufficient_history"
    }

    package var horizonHours: Int
    package var method: Method
    package var points: [Point]
    /// Hours of history the forecast was fitted to.
    package var historyHours: Int
    package var peakUtilizationPct: Double? { points.map(\.utilizationPct).max() }
    /// When the forecast first reaches the alert threshold, within the horizon.
    package var thresholdCrossingAt: Date?
}

/// Forecasts utilisation from capacity snapshots with additive Holt-Winters: level, trend and a
/// 24-hour season, fitted to hourly means of the snapshots. The smoothing constants are the grid
/// point with the least one-step-ahead squared error; the band widens with the horizon as the
/// method's forecast variance does.
package struct CapacityForecaster: Sendable {
    package static let seasonHours = 24
    /// Two seasons: the least that separates a daily cycle from a trend.
    package static let minimumHistoryHours = 48

    package var alertThresholdPct: Double

    package init(alertThresholdPct: Double) { self.alertThresholdPct = alertThresholdPct }

    package func forecast(_ snapshots: [CapacitySnapshot], hours: Int) -> CapacityForecast {
        let series = HourlySeries(snapshots)
        guard series.values.count >= Self.minimumHistoryHours else {
            return CapacityForecast(
                horizonHours: hours, method: .insufficientHistory, points: [], historyHours: series.values.count, thresholdCrossingAt: nil)
        }
        let fit = Self.grid.lazy.map { HoltWinters(series.values, season: Self.seasonHours, smoothing: $0) }
            .min { $0.squaredError < $1.squaredError }!
        let points = (0..<max(hours, 0)).map { i -> CapacityForecast.Point in
            let h = i + 1
            let mean = fit.predict(stepsAhead: h)
            let spread = 1.96 * fit.standardError(stepsAhead: h)
            return CapacityForecast.Point(
                timestamp: series.time(ofHour: series.values.count - 1 + h), utilizationPct: clamp(mean), lower: clamp(mean - spread),
                upper: clamp(mean + spread))
        }
        return CapacityForecast(
            horizonHours: hours, method: .holtWinters, points: points, historyHours: series.values.count,
            thresholdCrossingAt: crossing(from: (series.time(ofHour: series.values.count - 1), clamp(fit.fittedLast)), through: points))
    }

    /// The first time the forecast reaches the threshold, interpolated between hourly points.
    private func crossing(from last: (Date, Double), through points: [CapacityForecast.Point]) -> Date? {
        var previous = last
        if previous.1 >= alertThresholdPct { return previous.0 }
        for point in points {
            if point.utilizationPct >= alertThresholdPct {
                let share = (alertThresholdPct - previous.1) / (point.utilizationPct - previous.1)
                return previous.0.addingTimeInterval(share * point.timestamp.timeIntervalSince(previous.0))
            }
            previous = (point.timestamp, point.utilizationPct)
        }
        return nil
    }

    private func clamp(_ value: Double) -> Double { min(100, max(0, value)) }

    static let grid: [HoltWinters.Smoothing] = {
        var grid: [HoltWinters.Smoothing] = []
        for alpha in [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9] {
            for beta in [0.0, 0.01, 0.05, 0.1, 0.2] {
                for gamma in [0.05, 0.1, 0.2, 0.3, 0.5] { grid.append(.init(alpha: alpha, beta: beta, gamma: gamma)) }
            }
        }
        return grid
    }()
}

/// Snapshots averaged per clock hour; hours without a snapshot (the hub was down) are interpolated.
struct HourlySeries {
    let firstHour: Int
    let values: [Double]

    init(_ snapshots: [CapacitySnapshot]) {
        var sums: [Int: (total: Double, count: Int)] = [:]
        for s in snapshots {
            let hour = Int((s.takenAt.timeIntervalSince1970 / 3_600).rounded(.down))
            sums[hour, default: (0, 0)].total += s.utilizationPct
            sums[hour, default: (0, 0)].count += 1
        }
        guard let first = sums.keys.min(), let last = sums.keys.max() else {
            firstHour = 0
            values = []
            return
        }
        var values: [Double] = []
        var known = (hour: first, value: sums[first]!.total / Double(sums[first]!.count))
        for hour in first...last {
            if let (total, count) = sums[hour] {
                known = (hour, total / Double(count))
                values.append(known.value)
            } else {
                let next = (hour + 1...last).first { sums[$0] != nil }!
                let nextValue = sums[next]!.total / Double(sums[next]!.count)
                values.append(known.value + (nextValue - known.value) * Double(hour - known.hour) / Double(next - known.hour))
            }
        }
        firstHour = first
        self.values = values
    }

    /// The middle of the `index`th hour of the series: an hourly mean stands for that instant.
    func time(ofHour index: Int) -> Date { Date(timeIntervalSince1970: (Double(firstHour + index) + 0.5) * 3_600) }
}

/// Additive Holt-Winters fitted to a series: y = level + trend + season.
struct HoltWinters {
    struct Smoothing: Sendable {
        var alpha: Double
        var beta: Double
        var gamma: Double
    }

    let smoothing: Smoothing
    let season: Int
    private(set) var level: Double
    private(set) var trend: Double
    private(set) var seasonal: [Double]
    private(set) var squaredError = 0.0
    private(set) var fittedLast = 0.0
    private var errors = 0
    private let count: Int

    /// Initialised from the first two seasons (level, trend between their means, each hour's
    /// average offset), then smoothed over the whole series.
    init(_ y: [Double], season m: Int, smoothing: Smoothing) {
        self.smoothing = smoothing
        season = m
        count = y.count
        let first = y[0..<m].reduce(0, +) / Double(m)
        let second = y[m..<2 * m].reduce(0, +) / Double(m)
        trend = (second - first) / Double(m)
        // The first season's mean stands for its middle; step the level back to just before y[0].
        level = first - trend * (Double(m) + 1) / 2
        seasonal = (0..<m).map { i in ((y[i] - first) + (y[m + i] - second)) / 2 }
        let (a, b, g) = (smoothing.alpha, smoothing.beta, smoothing.gamma)
        for (t, value) in y.enumerated() {
            let s = seasonal[t % m]
            let predicted = level + trend + s
            if t >= m {
                squaredError += (value - predicted) * (value - predicted)
                errors += 1
            }
            let previousLevel = level
            level = a * (value - s) + (1 - a) * (level + trend)
            trend = b * (level - previousLevel) + (1 - b) * trend
            seasonal[t % m] = g * (value - level) + (1 - g) * s
            fittedLast = level + seasonal[t % m]
        }
    }

    func predict(stepsAhead h: Int) -> Double {
        level + Double(h) * trend + seasonal[(count - 1 + h) % season]
    }

    /// The standard error of an `h`-step forecast: σ²(1 + Σ_{j<h} (α(1 + jβ) + γ·[j is a whole season])²).
    func standardError(stepsAhead h: Int) -> Double {
        let variance = errors > 0 ? squaredError / Double(errors) : 0
        var factor = 1.0
        for j in stride(from: 1, to: h, by: 1) {
            let c = smoothing.alpha * (1 + Double(j) * smoothing.beta) + (j % season == 0 ? smoothing.gamma : 0)
            factor += c * c
        }
        return (variance * factor).squareRoot()
    }
}
