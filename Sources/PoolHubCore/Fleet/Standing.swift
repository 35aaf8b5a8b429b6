// A miner's standing: good, suspended for a while after crossing a `[thresholds]` limit, or on probation.

package import Foundation

/// Where a miner stands with the hub. Crossing a `[thresholds]` limit suspends it for a while (never for
/// good); once the suspension ends it is on probation until its next results, judged on their own, bring
/// it back to good standing or suspend it again (see `MinerStats.judging`). Stored with the statistics,
/// so every instance agrees; the end of a suspension needs no write: it is a time.
package struct Standing: Sendable, Equatable {
    /// When the last suspension ends or ended; `distantPast` when the miner was never suspended.
    package var suspendedUntil: Date
    /// Length of the last suspension in seconds (0: never suspended), for doubling on a repeat.
    package var suspensionSeconds: Double
    /// Results still to be judged on their own after the suspension (0: in good standing once it ended).
    package var probationJobsLeft: Int

    package init(suspendedUntil: Date = .distantPast, suspensionSeconds: Double = 0, probationJobsLeft: Int = 0) {
        self.suspendedUntil = suspendedUntil
        self.suspensionSeconds = suspensionSeconds
        self.probationJobsLeft = probationJobsLeft
    }

    package static let good = Standing()

    package enum Phase: Sendable, Equatable {
        case good
        case suspended(until: Date)
        case probation(jobsLeft: Int)
    }

    package func phase(at now: Date) -> Phase {
        if now < suspendedUntil { return .suspended(until: suspendedUntil) }
        return probationJobsLeft > 0 ? .probation(jobsLeft: probationJobsLeft) : .good
    }

    package func isSuspended(at now: Date) -> Bool { now < suspendedUntil }

    /// On probation (or suspended, with probation to follow): ranked after every miner in good standing.
    package var isOnProbation: Bool { probationJobsLeft > 0 }
}
