// The answer of GET /api/v1/history: the sampled series, column by column, and the fleet per model.

import Foundation
import PoolHubLive

/// The history ring's samples as columns (one array per series, aligned with `timestamps`), so a plot
/// reads a series without walking objects; latencies in seconds, null where no match was served.
struct HistoryView: Encodable {
    struct Series: Encodable {
        var minersTotal: [Int] = []
        var minersOnline: [Int] = []
        var minersAvailable: [Int] = []
        var slotsTotal: [Int] = []
        var slotsUsed: [Int] = []
        var reservations: [Int] = []
        var utilizationPct: [Double?] = []
        var matchesPerS: [Double] = []
        var heartbeatsPerS: [Double] = []
        var matchP50Seconds: [Double?] = []
        var matchP99Seconds: [Double?] = []
    }
    struct Model: Encodable {
        var model: String
        var miners: Int
        var online: Int
        var slotsTotal: Int
        var slotsUsed: Int
    }

    var intervalS: Double
    var capacity: Int
    var capacityAlertThresholdPct: Double
    var timestamps: [Date] = []
    var series = Series()
    var models: [Model]

    init(_ samples: [HistorySample], models: [(model: String, summary: ModelSummary)], intervalS: Double, capacity: Int, thresholdPct: Double) {
        self.intervalS = intervalS
        self.capacity = capacity
        capacityAlertThresholdPct = thresholdPct
        self.models = models.map { model, counts in
            Model(model: model, miners: counts.miners, online: counts.online, slotsTotal: counts.totalSlots, slotsUsed: counts.usedSlots)
        }
        for s in samples {
            timestamps.append(s.time)
            series.minersTotal.append(s.minersTotal)
            series.minersOnline.append(s.minersOnline)
            series.minersAvailable.append(s.minersAvailable)
            series.slotsTotal.append(s.slotsTotal)
            series.slotsUsed.append(s.slotsUsed)
            series.reservations.append(s.reservations)
            series.utilizationPct.append(s.slotsTotal > 0 ? Double(s.slotsUsed) / Double(s.slotsTotal) * 100 : nil)
            series.matchesPerS.append(s.matchesPerSecond)
            series.heartbeatsPerS.append(s.heartbeatsPerSecond)
            series.matchP50Seconds.append(s.matchP50Seconds)
            series.matchP99Seconds.append(s.matchP99Seconds)
        }
    }

    enum CodingKeys: String, CodingKey { case intervalS, capacity, capacityAlertThresholdPct, timestamps, series, models }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(intervalS, forKey: .intervalS)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(capacityAlertThresholdPct, forKey: .capacityAlertThresholdPct)
        try c.encode(timestamps, forKey: .timestamps)
        try c.encode(series, forKey: .series)
        try c.encode(models, forKey: .models)
    }
}
