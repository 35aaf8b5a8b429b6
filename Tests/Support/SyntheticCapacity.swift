package import Foundation
package import PoolHubCore

/// A week of snapshots every five minutes: a daily cycle of ±10 %, a 2 %/day upward trend and a little
/// noise. Daily peaks are at hour 12 of each day; the peak one day after the week is 79 %, the next 81 %.
package func syntheticWeek(from start: Date, noise: Double = 0.3) -> [CapacitySnapshot] {
    var generator = SplitMix64(seed: 7)
    return stride(from: 0.0, to: 168, by: 1.0 / 12).map { h in
        let jitter = (Double(generator.next() % 2_001) / 1_000 - 1) * noise
        let used = Int((syntheticUtilization(atHour: h) + jitter) * 10)
        return CapacitySnapshot(
            takenAt: start.addingTimeInterval(h * 3_600), model: nil, totalMiners: 250, onlineMiners: 250, totalSlots: 1_000,
            usedSlots: used)
    }
}

package func syntheticUtilization(atHour h: Double) -> Double {
    54 + 2 * h / 24 + 10 * sin(2 * Double.pi * (h - 6) / 24)
}

/// The first hour after `from` at which the synthetic utilisation reaches `threshold`, to the minute.
package func syntheticCrossing(after from: Double, threshold: Double) -> Double {
    var h = from
    while syntheticUtilization(atHour: h) < threshold { h += 1.0 / 60 }
    return h
}
