// Judging results against the `[thresholds]`: suspension, probation, forgiveness.

package import Foundation

/// Why a miner's history falls short of a `[thresholds]` limit that suspends it.
package enum ThresholdBreach: String, Sendable {
    case successRate = "success_rate"
    case slow
}

extension ScoringConfig.Thresholds {
    /// The limit `stats` falls short of; nil while it meets both, or has too little history to judge
    /// (fewer than `ScoringPriors.thresholdOutcomes` decayed results). Observed values, without priors.
    package func breach(of stats: MinerStats) -> ThresholdBreach? {
        guard stats.outcomes >= ScoringPriors.thresholdOutcomes else { return nil }
        if let rate = stats.observedSuccessRate, rate < minSuccessRate { return .successRate }
        if let mean = stats.observedResponseTimeMs, mean > maxLatency { return .slow }
        return nil
    }

    /// A result that passes on its own: completed, within `max_latency` (a completed job without a time passes).
    package func passes(_ result: JobResult) -> Bool {
        result.outcome == .completed && (result.responseTimeMs ?? 0) <= maxLatency
    }
}

extension MinerStats {
    /// These statistics with one more result counted and, given the thresholds, judged (the store's one step).
    package func recording(_ result: JobResult, decay: Decay, judgedBy thresholds: ScoringConfig.Thresholds?) -> MinerStats {
        let counted = recording(result, decay: decay)
        return thresholds.map { counted.judging(result, by: $0) } ?? counted
    }

    /// These statistics, with `result` already counted, after the result is judged:
    /// - in good standing, a history that now falls short of a threshold suspends the miner;
    /// - on probation, a result that fails on its own suspends it again, and the last of `probation_jobs`
    ///   good ones restores good standing with its history forgiven (`forgiven`);
    /// - while suspended (a job it was given before), the result only counts.
    /// A suspension lasts `suspension_seconds`, or twice the last one (at most `max_suspension_seconds`) when
    /// it starts within a day of the last one's end.
    package func judging(_ result: JobResult, by thresholds: ScoringConfig.Thresholds) -> MinerStats {
        let now = result.reportedAt
        var next = self
        switch standing.phase(at: now) {
        case .suspended:
            return self
        case .probation(let left):
            guard thresholds.passes(result) else {
                next.standing = standing.suspending(at: now, by: thresholds)
                return next
            }
            next.standing.probationJobsLeft = left - 1
            return left > 1 ? next : next.forgiven(by: thresholds)
        case .good:
            guard thresholds.breach(of: self) != nil else { return self }
            next.standing = standing.suspending(at: now, by: thresholds)
            return next
        }
    }

    /// The history after a probation passed: the failures weigh only as much as leaves the success rate
    /// halfway between `min_success_rate` and 1 (or 0.9, the newcomer's prior, if higher), and the response
    /// times only as much as leaves their mean at half of `max_latency` (the newcomer's prior); what already
    /// did better is kept. Completed jobs keep their weight, so the history still counts as history.
    package func forgiven(by thresholds: ScoringConfig.Thresholds) -> MinerStats {
        var next = self
        let rate = max(ScoringPriors.successRate, (thresholds.minSuccessRate + 1) / 2)
        // completed / (completed + failed) >= rate  ⇔  failed <= completed · (1 − rate) / rate
        next.failed = min(failed, completed * (1 - rate) / rate)
        if responseTimeCount > 0 { next.responseTimeSumMs = min(responseTimeSumMs, responseTimeCount * thresholds.maxLatency / 2) }
        return next
    }
}

extension MinerStats {
    /// These statistics with the miner suspended, when it is in good standing at `now` and its history falls short of
    /// a threshold without a result having judged it (an older hub's history, or thresholds tightened since); nil
    /// otherwise. The score pass reviews such miners, so that none stays out for good.
    package func reviewed(by thresholds: ScoringConfig.Thresholds, at now: Date) -> MinerStats? {
        guard standing.phase(at: now) == .good, thresholds.breach(of: self) != nil else { return nil }
        var next = self
        next.standing = standing.suspending(at: now, by: thresholds)
        next.version += 1
        return next
    }
}

extension Standing {
    /// Suspended from `now`: for the first suspension's length, or twice the last one's (capped) when the
    /// last one ended less than a day ago; probation follows.
    package func suspending(at now: Date, by thresholds: ScoringConfig.Thresholds) -> Standing {
        let repeated = suspensionSeconds > 0 && now.timeIntervalSince(suspendedUntil) < 86_400
        let seconds =
            repeated
            ? min(suspensionSeconds * 2, thresholds.maxSuspensionSeconds) : min(thresholds.suspensionSeconds, thresholds.maxSuspensionSeconds)
        return Standing(
            suspendedUntil: now.addingTimeInterval(seconds), suspensionSeconds: seconds, probationJobsLeft: max(1, thresholds.probationJobs))
    }
}
