import Foundation
import PoolHubCore
import Testing

/// Judging results against the `[thresholds]`: suspension, doubling, probation, forgiveness.
@Suite struct ProbationTests {
    let thresholds = ScoringConfig.standard.thresholds
    let decay = ScoringConfig.standard.decay

    func result(_ outcome: JobOutcome, ms: Double? = 1_000, at time: Date, job: Int = 0) -> JobResult {
        JobResult(
            jobID: "job-\(job)", address: MinerAddress("m")!, outcome: outcome, responseTimeMs: ms, gpuSeconds: nil, error: nil,
            reportedAt: time)
    }

    func record(_ stats: MinerStats, _ r: JobResult) -> MinerStats { stats.recording(r, decay: decay, judgedBy: thresholds) }

    @Test func crossingTheSuccessRateSuspendsThenProbationRestoresWithHistoryForgiven() {
        var stats = MinerStats(decayedAt: t0)
        for i in 0..<9 { stats = record(stats, result(.failed, at: t0, job: i)) }
        #expect(stats.standing == .good, "nine results are too few to judge")
        stats = record(stats, result(.failed, at: t0, job: 9))
        #expect(stats.standing.phase(at: t0) == .suspended(until: t0.addingTimeInterval(1_800)))
        // A result of a job given before the suspension only counts.
        let during = record(stats, result(.completed, at: t0.addingTimeInterval(60), job: 10))
        #expect(during.standing == stats.standing)
        #expect(during.completed > stats.completed)

        let later = t0.addingTimeInterval(1_801)
        #expect(stats.standing.phase(at: later) == .probation(jobsLeft: 3))
        for i in 0..<2 { stats = record(stats, result(.completed, at: later, job: 20 + i)) }
        #expect(stats.standing.phase(at: later) == .probation(jobsLeft: 1))
        stats = record(stats, result(.completed, at: later, job: 30))
        #expect(stats.standing.phase(at: later) == .good)
        #expect(thresholds.breach(of: stats) == nil)
        // Forgiven to a success rate halfway between the threshold and 1: 0.9 with the defaults.
        #expect(abs((stats.observedSuccessRate ?? 0) - 0.9) < 1e-9)
        #expect(stats.jobsFailed == 10, "the undecayed totals are history for people: kept")
    }

    @Test func aBadProbationResultSuspendsAgainForTwiceAsLongUpToTheMaximum() {
        var stats = MinerStats(decayedAt: t0)
        for i in 0..<10 { stats = record(stats, result(.completed, ms: 9_000, at: t0, job: i)) }
        #expect(stats.standing.suspendedUntil == t0.addingTimeInterval(1_800), "ten slow jobs cross max_latency")
        var now = t0
        var expected = 1_800.0
        for round in 0..<8 {
            now = stats.standing.suspendedUntil.addingTimeInterval(1)
            #expect(stats.standing.phase(at: now) == .probation(jobsLeft: 3))
            stats = record(stats, result(.timeout, ms: nil, at: now, job: 100 + round))
            expected = min(expected * 2, 86_400)
            #expect(stats.standing.phase(at: now) == .suspended(until: now.addingTimeInterval(expected)), "round \(round)")
        }
        #expect(expected == 86_400)
        // A slow completed job fails probation too.
        now = stats.standing.suspendedUntil.addingTimeInterval(1)
        stats = record(stats, result(.completed, ms: 5_001, at: now, job: 200))
        #expect(stats.standing.isSuspended(at: now))
    }

    @Test func aRepeatMoreThanADayAfterTheLastSuspensionStartsAgainAtTheFirstLength() {
        var stats = MinerStats(decayedAt: t0)
        for i in 0..<10 { stats = record(stats, result(.failed, at: t0, job: i)) }
        let probation = stats.standing.suspendedUntil.addingTimeInterval(86_401)
        stats = record(stats, result(.failed, at: probation, job: 50))
        #expect(stats.standing.suspendedUntil == probation.addingTimeInterval(1_800))
    }

    @Test func forgivenessKeepsWhatAlreadyPassed() {
        var stats = MinerStats(decayedAt: t0)
        stats.completed = 100
        stats.failed = 1
        stats.responseTimeSumMs = 100_000
        stats.responseTimeCount = 100
        #expect(stats.forgiven(by: thresholds) == stats)
        stats.responseTimeSumMs = 900_000
        #expect(stats.forgiven(by: thresholds).observedResponseTimeMs == 2_500)
    }

    @Test func suspendedMinersAreUnmatchableAndProbationRanksLast() {
        var stats = MinerStats(decayedAt: t0)
        stats.standing = Standing(suspendedUntil: t0.addingTimeInterval(10), suspensionSeconds: 10, probationJobsLeft: 3)
        let m = member("m", stats: stats)
        let context = FilterContext(now: t0, heartbeat: HeartbeatPolicy(ttl: 45), thresholds: thresholds)
        #expect(Unmatchable.first(for: Candidate(m, at: t0), in: context) == .suspended)
        #expect(m.nextExpiry(at: t0, heartbeat: HeartbeatPolicy(ttl: 45)) == t0.addingTimeInterval(10))
        var later = context
        later.now = t0.addingTimeInterval(10)
        #expect(Unmatchable.first(for: Candidate(m, at: later.now), in: later) == nil)
        #expect(Rank(score: 0.1, slot: 5).precedes(Rank(score: 0.9, slot: 1, probation: true)))
    }
}
