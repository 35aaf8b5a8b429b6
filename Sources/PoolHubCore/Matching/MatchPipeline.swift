// Filter, score and pick the miners of one match from the rankings.

/// Filter → Score → order: picks the miners for a request from the candidate index.
///
/// The walk visits matchable candidates best first and stops once it has `limit` hits and has seen
/// every candidate tied with the last of them, so its cost follows `limit`, not the fleet. Near-equal
/// scores (within `tieTolerance`, a share of `max_score`) are ordered by lower utilization, then at
/// random, so work spreads instead of herding onto one miner.
package struct MatchPipeline: Sendable {
    package var tieTolerance: Double
    /// Extra tied candidates considered beyond `limit`, to bound the walk when many miners tie.
    package var maxTiedExtra: Int

    package init(tieTolerance: Double, maxTiedExtra: Int = 32) {
        self.tieTolerance = tieTolerance
        self.maxTiedExtra = maxTiedExtra
    }

    package struct Selection: Sendable {
        /// Chosen slots, best first.
        package var slots: [Int32]
        package var rejected: [String: Int]

        package init(slots: [Int32], rejected: [String: Int]) {
            self.slots = slots
            self.rejected = rejected
        }
    }

    /// Picks the miners for `request` from `index`, which holds only the miners matchable now: every
    /// miner when it names no model, else those of any of its models; with requirements, only the
    /// requirement tiers that can satisfy them. `excluded` holds the fleet slots of `exclude`.
    /// `rejected` counts every miner of those models that cannot take the job, under the first reason.
    package func select(
        _ request: MatchRequest, in index: CandidateIndex, members: [FleetMember], excluded: Set<Int32> = [],
        context: FilterContext, rng: inout SplitMix64
    ) -> Selection {
        let rankings = index.rankings(for: request.models)
        let tiered = request.minGPUMemory != nil || request.minRAM != nil || request.maxLatency != nil
        var lists: [RankedList] = []
        for r in rankings {
            guard tiered else {
                lists.append(r.all)
                continue
            }
            for (tier, list) in r.tiers where !tier.verdict(request).excludesAll { lists.append(list) }
        }
        let filters = request.requirementFilters(excluded: excluded)
        let slots = members.withUnsafeBufferPointer { members in
            lists.count == 1
                ? pick(request.limit, from: lists[0], members: members, filters: filters, context: context, rng: &rng)
                : pick(request.limit, from: MergedRanking(lists), members: members, filters: filters, context: context, rng: &rng)
        }
        return Selection(
            slots: slots, rejected: rejected(request, models: rankings, index: index, members: members, excluded: excluded, context: context))
    }

    /// Walks `ranking` best first and keeps the first `limit` candidates every filter admits, with
    /// their near-ties. Generic only to serve both kinds of ranking; each is specialized.
    private func pick<Ranking: Sequence<Rank>>(
        _ limit: Int, from ranking: Ranking, members: UnsafeBufferPointer<FleetMember>, filters: [any MatchFilter],
        context: FilterContext, rng: inout SplitMix64
    ) -> [Int32] {
        var hits: [(rank: Rank, bucket: Int64, utilization: Double, tiebreak: UInt64)] = []
        hits.reserveCapacity(limit + 4)
        var cutoffBucket = Int64.min

        walk: for rank in ranking {
            let bucket = self.bucket(rank)
            if hits.count >= limit && (bucket < cutoffBucket || hits.count >= limit + maxTiedExtra) {
                break
            }
            let candidate = Candidate(members, slot: rank.slot, at: context.now)
            for filter in filters where !filter.admits(candidate, in: context) { continue walk }
            hits.append((rank, bucket, candidate.utilization, rng.next()))
            if hits.count == limit { cutoffBucket = bucket }
        }

        hits.sort { a, b in
            if a.bucket != b.bucket { return a.bucket > b.bucket }
            if a.utilization != b.utilization { return a.utilization < b.utilization }
            return a.tiebreak < b.tiebreak
        }
        return hits.prefix(limit).map(\.rank.slot)
    }

    /// Every miner of the request's models that cannot take the job, under the first reason that holds
    /// (`Unmatchable`'s order, then `excluded`, then the requirements in filter order). Whole tiers are
    /// counted from the index; only the tiers a threshold falls inside are looked at miner by miner.
    /// For several models a miner is counted once per requested model it serves.
    private func rejected(
        _ request: MatchRequest, models: [CandidateIndex.Rankings], index: CandidateIndex, members: [FleetMember],
        excluded: Set<Int32>, context: FilterContext
    ) -> [String: Int] {
        var counts: [String: Int] = [:]
        let requirements = request.requirementFilters(excluded: [])
        let tiered = !requirements.isEmpty
        for (k, r) in models.enumerated() {
            for reason in Unmatchable.allCases where r.count(reason) > 0 { counts[reason.rawValue, default: 0] += r.count(reason) }
            let model = request.models.isEmpty ? nil : request.models[k]
            var excludedByTier: [RequirementTier: Int] = [:]
            for slot in excluded {
                guard let e = index.entry(slot), e.unmatchable == nil, model.map(e.models.contains) ?? true else { continue }
                counts["excluded", default: 0] += 1
                excludedByTier[e.tier, default: 0] += 1
            }
            guard tiered else { continue }
            for (tier, list) in r.tiers {
                switch tier.verdict(request) {
                case .satisfies:
                    continue
                case .fails(let requirement):
                    let n = list.count - (excludedByTier[tier] ?? 0)
                    if n > 0 { counts[requirement.rawValue, default: 0] += n }
                case .boundary, .failsVariously:
                    members.withUnsafeBufferPointer { members in
                        for rank in list where !excluded.contains(rank.slot) {
                            let candidate = Candidate(members, slot: rank.slot, at: context.now)
                            if let failed = requirements.first(where: { !$0.admits(candidate, in: context) }) {
                                counts[failed.name, default: 0] += 1
                            }
                        }
                    }
                }
            }
        }
        return counts
    }

    /// The near-tie band of a rank, falling along the walk: score bands of `tieTolerance`, miners on
    /// probation below every miner in good standing.
    private func bucket(_ rank: Rank) -> Int64 {
        let band = tieTolerance > 0 ? Int64((rank.score / tieTolerance).rounded(.down)) : Int64(rank.score.bitPattern >> 2)
        return rank.probation ? band - (1 << 62) : band
    }
}
