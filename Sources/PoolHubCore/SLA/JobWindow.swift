// One miner's job results within an SLA window: response times, completion rate.

/// The job results one miner had within an SLA window.
package struct JobWindow: Sendable, Equatable {
    package var completed = 0
    package var failed = 0
    package var timedOut = 0
    /// Response times of the completed jobs that reported one.
    package var responseTimesMs: [Double] = []

    package init() {}

    package mutating func add(_ outcome: JobOutcome, responseTimeMs: Double?) {
        switch outcome {
        case .completed:
            completed += 1
            if let responseTimeMs { responseTimesMs.append(responseTimeMs) }
        case .failed: failed += 1
        case .timeout: timedOut += 1
        // A miner that turned a job down did not fail it.
        case .rejected: break
        }
    }

    /// completed / (completed + failed + timeout), in percent; nil without such jobs.
    package var completionRatePct: Double? {
        let ended = completed + failed + timedOut
        return ended > 0 ? 100 * Double(completed) / Double(ended) : nil
    }

    package var responseTime: ResponseTimeSummary? { ResponseTimeSummary(responseTimesMs) }
}

/// Mean and 95th percentile of a set of response times.
package struct ResponseTimeSummary: Sendable, Equatable {
    package var meanMs: Double
    /// Linear interpolation between the closest ranks (the common "type 7" definition).
    package var p95Ms: Double

    package init?(_ times: [Double]) {
        guard !times.isEmpty else { return nil }
        let sorted = times.sorted()
        meanMs = sorted.reduce(0, +) / Double(sorted.count)
        let rank = 0.95 * Double(sorted.count - 1)
        let below = Int(rank.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        p95Ms = sorted[below] + (sorted[above] - sorted[below]) * (rank - Double(below))
    }
}
