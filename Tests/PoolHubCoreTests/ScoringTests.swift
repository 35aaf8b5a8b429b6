import Foundation
import PoolHubCore
import Testing

@Suite struct ScoringTests {
    /// 8 completed, 2 failed, two response times summing to 3000 ms, 3 h online of 4 h, stake 10 000.
    let stats = MinerStats(
        completed: 8, failed: 2, responseTimeSumMs: 3000, responseTimeCount: 2, decayedAt: t0, jobsCompleted: 8, jobsFailed: 2,
        version: 10)
    let uptime = UptimeLedger(onlineSeconds: 10_800, observedSeconds: 14_400, accountedUntil: t0)

    @Test func successRateBlendsThePrior() {
        // (8 + 5·0.9) / (10 + 5)
        #expect(abs(Scorer.successRate(stats) - 12.5 / 15) < 1e-12)
    }

    @Test func latencyTermFallsLinearlyToMaxLatency() {
        // mean with prior: (3000 + 2·2500) / (2 + 2) = 2000 ms → 1 − 2000/5000
        let mean = Scorer.expectedResponseTime(stats, maxLatency: 5000)
        #expect(mean == 2000)
        #expect(abs(Scorer.latencyScore(mean, maxLatency: 5000) - 0.6) < 1e-12)
        #expect(Scorer.latencyScore(1800, maxLatency: 5000) == 1 - 1800.0 / 5000)
        #expect(Scorer.latencyScore(9000, maxLatency: 5000) == 0)
    }

    @Test func availabilityIsOnlineOverObservedWithPrior() {
        // (10800 + 0.9·3600) / (14400 + 3600)
        #expect(abs(Scorer.availability(uptime) - 14_040.0 / 18_000) < 1e-12)
    }

    @Test func reputationCombinesStakeAndHistory() {
        let expected = 0.5 * (log10(10_001.0) / 5) + 0.5 * (8.0 / 30)
        #expect(abs(Scorer.reputation(stats, stake: 10_000) - expected) < 1e-12)
        #expect(Scorer.reputation(MinerStats(decayedAt: t0), stake: 0) == 0)
        #expect(Scorer.reputation(MinerStats(decayedAt: t0), stake: 10_000_000) == 0.5)
    }

    @Test func scoreIsTheWeightedSumScaledToMaxScore() {
        var config = ScoringConfig.standard
        config.maxScore = 100
        let card = Scorer(config: config, heartbeatTTL: 45).card(stats: stats, uptime: uptime, stake: 10_000, at: t0)
        let sum =
            0.4 * (12.5 / 15) + 0.25 * 0.6 + 0.2 * (14_040.0 / 18_000)
            + 0.15 * (0.5 * (log10(10_001.0) / 5) + 0.5 * (8.0 / 30))
        #expect(abs(card.score - 100 * sum) < 1e-9)
        let contributions =
            card.successRate.contribution + card.latency.contribution + card.availability.contribution
            + card.reputation.contribution
        #expect(abs(contributions - card.score / card.maxScore) < 1e-12)
    }

    @Test func countsDecayByTheDailyFactor() {
        let perfect = MinerStats(
            completed: 100, failed: 0, responseTimeSumMs: 0, responseTimeCount: 0, decayedAt: t0, jobsCompleted: 100,
            jobsFailed: 0, version: 1)
        let later = t0.addingTimeInterval(10 * 86_400)
        let decayed = perfect.decayed(to: later, by: Decay(dailyFactor: 0.95))
        #expect(abs(decayed.completed - 100 * pow(0.95 as Double, 10 as Double)) < 1e-9)
        #expect(decayed.jobsCompleted == 100)
        // After ten quiet days the prior weighs more: (59.87 + 4.5) / (59.87 + 5)
        let c = 100 * pow(0.95 as Double, 10 as Double)
        #expect(abs(Scorer.successRate(decayed) - (c + 4.5) / (c + 5)) < 1e-12)

        let failure = JobResult(
            jobID: "j", address: MinerAddress("m1")!, outcome: .failed, responseTimeMs: nil, gpuSeconds: nil, error: nil,
            reportedAt: later)
        let next = perfect.recording(failure, decay: Decay(dailyFactor: 0.95))
        #expect(abs(next.completed - c) < 1e-9)
        #expect(next.failed == 1)
        #expect(next.jobsFailed == 1)
        #expect(next.version == 2)
    }

    @Test func aNewMinerGetsAPriorSoItIsTried() {
        let card = scorer.card(stats: MinerStats(decayedAt: t0), uptime: UptimeLedger(), stake: 0, at: t0)
        // 0.4·0.9 + 0.25·0.5 + 0.2·0.9 + 0.15·0
        #expect(abs(card.score - 0.665) < 1e-12)
    }

    @Test func onlyCompletedResponseTimesFeedLatency() {
        var s = MinerStats(decayedAt: t0)
        let decay = Decay(dailyFactor: 0.95)
        s = s.recording(
            .init(jobID: "a", address: MinerAddress("m")!, outcome: .completed, responseTimeMs: 1000, gpuSeconds: 1, error: nil, reportedAt: t0),
            decay: decay)
        s = s.recording(
            .init(jobID: "b", address: MinerAddress("m")!, outcome: .timeout, responseTimeMs: 60_000, gpuSeconds: nil, error: nil, reportedAt: t0),
            decay: decay)
        #expect(s.observedResponseTimeMs == 1000)
        #expect(s.observedSuccessRate == 0.5)
    }
}

@Suite struct UptimeLedgerTests {
    @Test func gapsLongerThanTheTTLCountAsOffline() {
        let decay = Decay(dailyFactor: 1)
        var ledger = UptimeLedger().recordingHeartbeat(at: t0, ttl: 45, decay: decay)
        for i in 1...4 { ledger = ledger.recordingHeartbeat(at: t0.addingTimeInterval(Double(i) * 15), ttl: 45, decay: decay) }
        #expect(ledger.onlineSeconds == 60)
        #expect(ledger.observedSeconds == 60)
        // Silent for 10 minutes: online for one TTL of it.
        ledger = ledger.recordingHeartbeat(at: t0.addingTimeInterval(660), ttl: 45, decay: decay)
        #expect(ledger.onlineSeconds == 105)
        #expect(ledger.observedSeconds == 660)
    }

    @Test func skippingDropsTimeTheHubWasDown() {
        let ledger = UptimeLedger(onlineSeconds: 100, observedSeconds: 100, accountedUntil: t0)
            .skipping(to: t0.addingTimeInterval(3600))
            .recordingHeartbeat(at: t0.addingTimeInterval(3610), ttl: 45, decay: Decay(dailyFactor: 1))
        #expect(ledger.onlineSeconds == 110)
        #expect(ledger.observedSeconds == 110)
    }
}

@Suite struct HeartbeatPolicyTests {
    @Test func onlineWhileYoungerThanTheTTL() {
        let policy = HeartbeatPolicy(ttl: 45)
        #expect(policy.isOnline(lastHeartbeatAt: t0, at: t0.addingTimeInterval(44.9)))
        #expect(!policy.isOnline(lastHeartbeatAt: t0, at: t0.addingTimeInterval(45)))
        #expect(!policy.isOnline(lastHeartbeatAt: nil, at: t0))
        #expect(policy.isOnline(lastHeartbeatAt: nil, graceUntil: t0.addingTimeInterval(45), at: t0.addingTimeInterval(10)))
    }

    @Test func addressesValidateAndHexIsCaseInsensitive() {
        #expect(MinerAddress("0xABCdef")?.value == "0xabcdef")
        #expect(MinerAddress("Miner-A.1:x_y")?.value == "Miner-A.1:x_y")
        #expect(MinerAddress("") == nil)
        #expect(MinerAddress("bad/addr") == nil)
        #expect(MinerAddress(String(repeating: "a", count: 129)) == nil)
    }
}
