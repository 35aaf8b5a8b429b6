// Match durations of the current history interval, in log-spaced buckets, for p50 and p99.

import Foundation
import Synchronization

/// Counts match durations between two history samples in log-spaced buckets (about 4 % wide, from
/// 100 ns to ~100 s), so p50 and p99 of an interval cost a fixed array, not a list of every match.
final class LatencyWindow: Sendable {
    static let bucketCount = 360
    /// Bucket i holds durations up to `floor × growth^(i+1)`.
    static let floor = 100e-9
    static let growth = 1.04

    private let counts = Mutex([Int](repeating: 0, count: LatencyWindow.bucketCount))

    func record(seconds: Double) {
        let i = seconds <= Self.floor ? 0 : min(Self.bucketCount - 1, Int(log(seconds / Self.floor) / log(Self.growth)))
        counts.withLock { $0[i] += 1 }
    }

    /// The quantiles of what was recorded since the last call (upper bucket bounds), and starts afresh;
    /// nil when nothing was recorded.
    func drain(quantiles: [Double]) -> [Double]? {
        let taken = counts.withLock { c -> [Int] in
            defer { c = [Int](repeating: 0, count: Self.bucketCount) }
            return c
        }
        let total = taken.reduce(0, +)
        guard total > 0 else { return nil }
        return quantiles.map { q in
            let rank = max(1, Int((q * Double(total)).rounded(.up)))
            var seen = 0
            for (i, n) in taken.enumerated() {
                seen += n
                if seen >= rank { return Self.floor * pow(Self.growth, Double(i + 1)) }
            }
            return Self.floor * pow(Self.growth, Double(Self.bucketCount))
        }
    }
}
