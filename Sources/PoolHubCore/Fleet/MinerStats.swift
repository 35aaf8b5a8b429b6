// A miner's decayed job history.

package import Foundation

/// A miner's job history as decayed counts: every count loses `decay_factor` of its weight per day,
/// so a miner's recent behaviour outweighs its distant past.
package struct MinerStats: Sendable, Equatable {
    /// Decayed count of completed jobs.
    package var completed: Double = 0
    /// Decayed count of failed, timed-out and rejected jobs: all are jobs the miner was given and did not deliver.
    package var failed: Double = 0
    /// Decayed sum and count of response times of completed jobs, in ms.
    package var responseTimeSumMs: Double = 0
    package var responseTimeCount: Double = 0
    /// When the counts above were last brought to the present.
    package var decayedAt: Date
    /// Undecayed totals, for people.
    package var jobsCompleted: Int = 0
    package var jobsFailed: Int = 0
    /// Bumped on every change so a newer copy is never overwritten by an older one.
    package var version: Int = 0
    /// Suspension and probation, judged from these counts (`judging`): stored and shared with them.
    package var standing = Standing.good

    package init(decayedAt: Date) { self.decayedAt = decayedAt }

    package init(
        completed: Double, failed: Double, responseTimeSumMs: Double, responseTimeCount: Double, decayedAt: Date,
        jobsCompleted: Int, jobsFailed: Int, version: Int, standing: Standing = .good
    ) {
        self.standing = standing
        self.completed = completed
        self.failed = failed
        self.responseTimeSumMs = responseTimeSumMs
        self.responseTimeCount = responseTimeCount
        self.decayedAt = decayedAt
        self.jobsCompleted = jobsCompleted
        self.jobsFailed = jobsFailed
        self.version = version
    }

    /// The counts as they weigh at `now`.
    package func decayed(to now: Date, by decay: Decay) -> MinerStats {
        let m = decay.multiplier(from: decayedAt, to: now)
        var copy = self
        copy.completed *= m
        copy.failed *= m
        copy.responseTimeSumMs *= m
        copy.responseTimeCount *= m
        copy.decayedAt = max(decayedAt, now)
        return copy
    }

    /// These stats with one more result counted.
    package func recording(_ result: JobResult, decay: Decay) -> MinerStats {
        var next = decayed(to: result.reportedAt, by: decay)
        switch result.outcome {
        case .completed:
            next.completed += 1
            next.jobsCompleted += 1
            if let ms = result.responseTimeMs {
                next.responseTimeSumMs += ms
                next.responseTimeCount += 1
            }
        case .failed, .timeout, .rejected:
            next.failed += 1
            next.jobsFailed += 1
        }
        next.version += 1
        return next
    }

    /// Decayed number of results, the "how much history" measure.
    package var outcomes: Double { completed + failed }

    /// Observed share of delivered jobs, nil without history.
    package var observedSuccessRate: Double? { outcomes > 0 ? completed / outcomes : nil }

    /// Observed mean response time in ms, nil without history.
    package var observedResponseTimeMs: Double? {
        responseTimeCount > 0 ? responseTimeSumMs / responseTimeCount : nil
    }
}
