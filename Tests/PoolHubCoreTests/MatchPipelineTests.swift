import Foundation
import PoolHubCore
import Testing

@Suite struct FilterTests {
    let context = FilterContext(now: t0.addingTimeInterval(10), heartbeat: HeartbeatPolicy(ttl: 45), thresholds: ScoringConfig.standard.thresholds)

    @Test func onlineRejectsStaleAndMissingHeartbeats() {
        #expect(OnlineFilter().admits(Candidate(member("a"), at: context.now), in: context))
        #expect(!OnlineFilter().admits(Candidate(member("a", heartbeat: t0.addingTimeInterval(-40)), at: context.now), in: context))
        #expect(!OnlineFilter().admits(Candidate(member("a", heartbeat: nil), at: context.now), in: context))
    }

    @Test func availableRejectsMinersThatSaidNo() {
        #expect(!AvailableFilter().admits(Candidate(member("a", available: false), at: context.now), in: context))
        #expect(!AvailableFilter().admits(Candidate(member("a", heartbeat: nil), at: context.now), in: context))
    }

    @Test func gpuMemoryRejectsTooLittleAndUnknown() {
        let filter = GPUMemoryFilter(minimum: 8192)
        #expect(filter.admits(Candidate(member("a", gpuMemory: 8192), at: context.now), in: context))
        #expect(!filter.admits(Candidate(member("a", gpuMemory: 8191), at: context.now), in: context))
        #expect(!filter.admits(Candidate(member("a", gpuMemory: nil), at: context.now), in: context))
    }

    @Test func capacityCountsTheLargerOfLoadAndReservations() {
        #expect(!CapacityFilter().admits(Candidate(member("a", slots: 2, load: 2), at: context.now), in: context))
        var m = member("a", slots: 2, load: 1)
        m.leases = [
            Reservation(id: .init(high: 1, low: 1), address: m.miner.address, jobID: nil, createdAt: t0, expiresAt: t0.addingTimeInterval(600))
        ]
        // load 1 and 1 reservation overlap: one slot used, one free.
        #expect(CapacityFilter().admits(Candidate(m, at: context.now), in: context))
        m.leases.append(
            Reservation(id: .init(high: 2, low: 2), address: m.miner.address, jobID: nil, createdAt: t0, expiresAt: t0.addingTimeInterval(600)))
        #expect(!CapacityFilter().admits(Candidate(m, at: context.now), in: context))
        // Expired reservations hold nothing.
        m.leases[1].expiresAt = t0
        #expect(CapacityFilter().admits(Candidate(m, at: context.now), in: context))
    }

    @Test func latencyComparesTheEstimatedTime() {
        let fast = MinerStats(
            completed: 3, failed: 0, responseTimeSumMs: 3000, responseTimeCount: 3, decayedAt: t0, jobsCompleted: 3, jobsFailed: 0, version: 3)
        #expect(LatencyFilter(maxLatency: 1000).admits(Candidate(member("a", stats: fast), at: context.now), in: context))
        #expect(!LatencyFilter(maxLatency: 999).admits(Candidate(member("a", stats: fast), at: context.now), in: context))
        // No history: the prior estimate (max_latency / 2 = 2500 ms) is what counts.
        #expect(!LatencyFilter(maxLatency: 2000).admits(Candidate(member("a"), at: context.now), in: context))
    }

    @Test func excludeRejectsListedSlots() {
        #expect(!ExcludeFilter(slots: [3]).admits(Candidate(member("a"), slot: 3, at: context.now), in: context))
        #expect(ExcludeFilter(slots: [3]).admits(Candidate(member("b"), slot: 4, at: context.now), in: context))
    }

    @Test func thresholdsApplyOnlyWithEnoughHistory() {
        let poorFew = MinerStats(
            completed: 1, failed: 4, responseTimeSumMs: 0, responseTimeCount: 0, decayedAt: t0, jobsCompleted: 1, jobsFailed: 4, version: 5)
        let poorMany = MinerStats(
            completed: 7, failed: 5, responseTimeSumMs: 0, responseTimeCount: 0, decayedAt: t0, jobsCompleted: 7, jobsFailed: 5, version: 12)
        #expect(SuccessRateThreshold().admits(Candidate(member("a", stats: poorFew), at: context.now), in: context))
        #expect(!SuccessRateThreshold().admits(Candidate(member("a", stats: poorMany), at: context.now), in: context))
        let slow = MinerStats(
            completed: 12, failed: 0, responseTimeSumMs: 12 * 6000, responseTimeCount: 12, decayedAt: t0, jobsCompleted: 12, jobsFailed: 0,
            version: 12)
        #expect(!ResponseTimeThreshold().admits(Candidate(member("a", stats: slow), at: context.now), in: context))
        let flaky = UptimeLedger(onlineSeconds: 3000, observedSeconds: 3600, accountedUntil: t0)
        #expect(!AvailabilityThreshold().admits(Candidate(member("a", uptime: flaky), at: context.now), in: context))
        let young = UptimeLedger(onlineSeconds: 300, observedSeconds: 600, accountedUntil: t0)
        #expect(AvailabilityThreshold().admits(Candidate(member("a", uptime: young), at: context.now), in: context))
    }
}

@Suite struct MatchPipelineTests {
    let context = FilterContext(now: t0, heartbeat: HeartbeatPolicy(ttl: 45), thresholds: ScoringConfig.standard.thresholds)
    let pipeline = MatchPipeline(tieTolerance: 0.01)

    func ranked(_ members: [FleetMember]) -> (CandidateIndex, [FleetMember]) {
        var regions = CandidateIndex()
        let codes = members.map { regions.intern($0.miner.region) }
        let entries = members.withUnsafeBufferPointer { buffer in
            members.indices.map { CandidateIndex.Entry(buffer, slot: Int32($0), region: codes[$0], in: context) }
        }
        return (CandidateIndex(entries, regions: regions.regionTable), members)
    }

    func names(_ slots: [Int32], _ members: [FleetMember]) -> [String] { slots.map { members[Int($0)].miner.address.value } }

    @Test func bestScoresComeFirstAndRejectionsAreCounted() {
        let good = MinerStats(
            completed: 50, failed: 0, responseTimeSumMs: 50 * 500, responseTimeCount: 50, decayedAt: t0, jobsCompleted: 50, jobsFailed: 0, version: 50
        )
        let (index, members) = ranked([
            member("new"), member("good", stats: good), member("small", gpuMemory: 4096, stats: good),
            member("full", slots: 1, load: 1, stats: good), member("gone", heartbeat: t0.addingTimeInterval(-60), stats: good),
            member("other", models: ["mistral"], stats: good),
        ])
        var rng = SplitMix64(seed: 1)
        let selection = pipeline.select(
            MatchRequest(model: "llama3.2", minGPUMemory: 8192, limit: 3), in: index, members: members, context: context, rng: &rng)
        #expect(names(selection.slots, members) == ["good", "new"])
        #expect(selection.rejected == ["gpu_memory": 1, "at_capacity": 1, "offline": 1])
        #expect(index.countNotServing(["llama3.2"]) == 1)
    }

    @Test func unmatchableMinersAreCountedWithoutBeingRanked() {
        var ms: [FleetMember] = []
        for i in 0..<1000 {
            let s = MinerStats(
                completed: Double(i), failed: 0, responseTimeSumMs: 0, responseTimeCount: 0, decayedAt: t0, jobsCompleted: i, jobsFailed: 0,
                version: i)
            ms.append(member("m\(i)", stats: s))
        }
        // The 900 worst are offline: they are in no ranking, only counted.
        for i in 0..<900 { ms[i].status = nil }
        let (index, members) = ranked(ms)
        #expect(index.matchableCount == 100)
        #expect(index.listedCount == 1000)
        var rng = SplitMix64(seed: 1)
        let selection = pipeline.select(MatchRequest(model: "llama3.2", limit: 2), in: index, members: members, context: context, rng: &rng)
        #expect(selection.slots.count == 2)
        #expect(selection.rejected == ["offline": 900])
    }

    @Test func nearTiesGoToTheLessLoadedMiner() {
        let (index, members) = ranked([member("busy", load: 3), member("idle", load: 0)])
        for seed in 0..<20 {
            var rng = SplitMix64(seed: UInt64(seed))
            let selection = pipeline.select(MatchRequest(model: "llama3.2", limit: 1), in: index, members: members, context: context, rng: &rng)
            #expect(names(selection.slots, members) == ["idle"])
        }
    }

    @Test func exactTiesAreBrokenAtRandom() {
        let (index, members) = ranked([member("a"), member("b"), member("c")])
        var firsts = Set<String>()
        for seed in 0..<50 {
            var rng = SplitMix64(seed: UInt64(seed))
            let selection = pipeline.select(MatchRequest(model: "llama3.2", limit: 1), in: index, members: members, context: context, rng: &rng)
            firsts.insert(members[Int(selection.slots[0])].miner.address.value)
        }
        #expect(firsts == ["a", "b", "c"])
    }

    @Test func anyOfSeveralModelsTakesEachMinerOnceBestFirst() {
        func stats(_ completed: Int) -> MinerStats {
            MinerStats(
                completed: Double(completed), failed: 0, responseTimeSumMs: Double(completed) * 500, responseTimeCount: Double(completed),
                decayedAt: t0, jobsCompleted: completed, jobsFailed: 0, version: completed)
        }
        let (index, members) = ranked([
            member("x", models: ["x"], stats: stats(10)), member("y", models: ["y"]), member("xy", models: ["x", "y"], stats: stats(50)),
            member("z", models: ["z"], stats: stats(80)), member("gone", models: ["x"], heartbeat: nil, stats: stats(90)),
        ])
        var rng = SplitMix64(seed: 1)
        let selection = pipeline.select(
            MatchRequest(models: ["x", "y"], limit: 10), in: index, members: members, context: context, rng: &rng)
        #expect(names(selection.slots, members) == ["xy", "x", "y"])
        #expect(selection.rejected == ["offline": 1])
        let one = pipeline.select(MatchRequest(models: ["y"], limit: 10), in: index, members: members, context: context, rng: &rng)
        #expect(names(one.slots, members) == ["xy", "y"])
        let every = pipeline.select(MatchRequest(models: [], limit: 10), in: index, members: members, context: context, rng: &rng)
        #expect(every.slots.count == 4)
    }

    @Test func mergedRankingsYieldEachMinerOnceInRankOrder() {
        func list(_ ranks: [(Double, Int32)]) -> RankedList<Rank> { RankedList(unordered: ranks.map { Rank(score: $0.0, slot: $0.1) }) }
        let a = list([(0.5, 0), (0.7, 1), (0.7, 4)])
        let b = list([(0.5, 0), (0.6, 2), (0.7, 4)])
        let c = list([(0.9, 3)])
        #expect(Array(MergedRanking([a, b])).map(\.slot) == [1, 4, 2, 0])
        #expect(Array(MergedRanking([b, RankedList<Rank>(), c])).map(\.slot) == [3, 4, 2, 0])
        #expect(Array(MergedRanking<Rank>([])).isEmpty)
    }

    @Test func aPriceOrderCountsTheMinersPricedAboveACeiling() {
        var rng = SplitMix64(seed: 5)
        var ranks: [PriceRank] = []
        for slot in 0..<2_000 {
            let price: Int64? = rng.next() % 10 == 0 ? nil : Int64(rng.next() % 500)
            ranks.append(PriceRank(price: price, score: Double(rng.next() % 100) / 100, slot: Int32(slot), probation: rng.next() % 4 == 0))
        }
        var list = RankedList(unordered: Array(ranks.prefix(1_000)))
        for rank in ranks.dropFirst(1_000) { list.insert(rank) }
        for ceiling in [-1, 0, 1, 137, 250, 499, 500, Int64.max - 1] as [Int64] {
            #expect(list.countPriced(above: ceiling) == ranks.count { $0.price > ceiling }, "ceiling \(ceiling)")
        }
    }

    @Test func aRAMRequirementFailsUnknownAndSmallerMemory() {
        var unknown = member("unknown")
        unknown.miner.capabilities.ramMemory = nil
        var small = member("small")
        small.miner.capabilities.ramMemory = 8192
        var large = member("large")
        large.miner.capabilities.ramMemory = 16_384
        let (index, members) = ranked([unknown, small, large])
        var rng = SplitMix64(seed: 1)
        let selection = pipeline.select(
            MatchRequest(models: ["llama3.2"], minRAM: 16_384, limit: 3), in: index, members: members, context: context, rng: &rng)
        #expect(names(selection.slots, members) == ["large"])
        #expect(selection.rejected == ["ram_memory": 2])
    }

    @Test func insertsAndRemovesKeepTheListSortedAndComplete() {
        var rng = SplitMix64(seed: 3)
        var scores = (0..<3_000).map { _ in Double(rng.next() % 1000) / 1000 }
        var list = RankedList(unordered: scores.enumerated().map { Rank(score: $1, slot: Int32($0)) })
        for _ in 0..<20_000 {
            let slot = Int(rng.next() % UInt64(scores.count))
            // Mostly small moves, some large, some to an equal score.
            let delta = rng.next() % 10 == 0 ? Double(rng.next() % 1000) / 1000 - scores[slot] : Double(Int(rng.next() % 21) - 10) / 1000
            let next = max(0, scores[slot] + delta)
            let removed = list.remove(Rank(score: scores[slot], slot: Int32(slot)))
            #expect(removed)
            list.insert(Rank(score: next, slot: Int32(slot)))
            scores[slot] = next
        }
        let expected = scores.enumerated().map { Rank(score: $1, slot: Int32($0)) }.sorted { $0.precedes($1) }
        #expect(Array(list) == expected)
        #expect(list.count == expected.count)
        let absent = list.remove(Rank(score: 2, slot: 0))
        #expect(!absent)
    }

    @Test func indexKeepsEachModelOrderedThroughUpdates() {
        func entry(_ slot: Int32, _ models: [String], _ score: Double, _ reason: Unmatchable? = nil) -> CandidateIndex.Entry {
            CandidateIndex.Entry(
                rank: Rank(score: score, slot: slot), models: models, tier: RequirementTier(gpuMemory: 16_384, ramMemory: nil, estimatedTimeMs: 100),
                unmatchable: reason)
        }
        var index = CandidateIndex()
        func slots(_ model: String?) -> [Int32] { Array(index.rankings(for: model.map { [$0] } ?? [])[0].all).map(\.slot) }
        index.set(0, entry(0, ["a", "b"], 0.5))
        index.set(1, entry(1, ["a"], 0.7))
        index.set(2, entry(2, ["b"], 0.6))
        #expect(slots("a") == [1, 0])
        #expect(slots(nil) == [1, 2, 0])
        index.set(0, entry(0, ["a", "b"], 0.9))
        #expect(slots("b") == [0, 2])
        index.set(2, entry(2, ["b"], 0.95))
        #expect(slots("b") == [2, 0])
        #expect(slots(nil) == [2, 0, 1])
        index.set(1, entry(1, ["a"], 0.7, .atCapacity))
        #expect(slots("a") == [0])
        #expect(index.rankings(for: ["a"])[0].count(.atCapacity) == 1)
        index.set(1, nil)
        #expect(index.rankings(for: ["a"])[0].count(.atCapacity) == 0)
        #expect(index.listedCount == 2)
        #expect(index.rankings(for: ["zzz"]).isEmpty)
    }

    @Test func requirementTiersAreMonotonicAndBoundTheirValues() {
        var previous: Int16 = -1
        for value in [0, 1, 7, 15, 16, 17, 31, 32, 100, 4095, 4096, 8191, 8192, 16_383, 16_384, 24_576, 81_920, 2_097_152] {
            let tier = RequirementTier.tier(value)
            #expect(tier >= previous)
            previous = tier
            let (lower, upper) = RequirementTier.bounds(tier)
            #expect(lower <= value && value < upper, "\(value) in tier \(tier) [\(lower), \(upper))")
        }
        let tier = RequirementTier(gpuMemory: 16_384, ramMemory: nil, estimatedTimeMs: 1500.2)
        #expect(tier.verdict(minGPUMemory: 16_384, minRAM: nil, maxLatency: nil) == .satisfies)
        #expect(tier.verdict(minGPUMemory: 20_000, minRAM: nil, maxLatency: nil) == .fails(.gpuMemory))
        #expect(tier.verdict(minGPUMemory: 16_385, minRAM: nil, maxLatency: nil) == .boundary)
        #expect(tier.verdict(minGPUMemory: nil, minRAM: 1, maxLatency: nil) == .fails(.ramMemory))
        #expect(tier.verdict(minGPUMemory: nil, minRAM: nil, maxLatency: 1000) == .fails(.latency))
        #expect(tier.verdict(minGPUMemory: nil, minRAM: nil, maxLatency: 1500.5) == .boundary)
        #expect(tier.verdict(minGPUMemory: nil, minRAM: nil, maxLatency: 5000) == .satisfies)
    }
}

@Suite struct ExpiryQueueTests {
    @Test func aDeadlineIsDueExactlyWhenItsDateHasCome() {
        var queue = ExpiryQueue()
        // Dates a rounding conversion would merge: the later one must not be due at the earlier.
        let now = Date(timeIntervalSinceReferenceDate: 817_000_000.123_456_8)
        let later = Date(timeIntervalSinceReferenceDate: now.timeIntervalSinceReferenceDate.nextUp)
        queue.schedule(1, at: later)
        #expect(queue.popDue(at: now) == nil)
        #expect(queue.popDue(at: later) == 1)
        #expect(queue.popDue(at: later) == nil)
    }

    @Test func anEarlierDeadlineSupersedesALaterOne() {
        var queue = ExpiryQueue()
        queue.schedule(3, at: t0.addingTimeInterval(60))
        queue.schedule(3, at: t0.addingTimeInterval(10))
        queue.schedule(3, at: t0.addingTimeInterval(30))  // later than the pending one: ignored
        queue.schedule(4, at: t0.addingTimeInterval(20))
        #expect(queue.popDue(at: t0.addingTimeInterval(9)) == nil)
        #expect(queue.popDue(at: t0.addingTimeInterval(25)) == 3)
        #expect(queue.popDue(at: t0.addingTimeInterval(25)) == 4)
        // The superseded entry of slot 3 is skipped when its time comes.
        #expect(queue.popDue(at: t0.addingTimeInterval(100)) == nil)
    }
}
