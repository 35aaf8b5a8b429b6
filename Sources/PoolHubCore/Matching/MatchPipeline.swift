// Filter, score and pick the miners of one match from the rankings.

/// Filter → Score → order: picks the miners for a request from the candidate index.
///
/// The walk visits matchable candidates best first (by score, or by price for `preferences.cheapest`) and
/// stops once it has enough hits and has seen every candidate tied with the last of them, so its cost follows
/// `limit` (or `count`), not the fleet. Near-equal scores (within `tieTolerance`, a share of `max_score`) are
/// ordered by a preferred region, then lower utilization, then at random, so work spreads instead of
/// herding onto one miner. Miners on probation come after every miner in good standing.
package struct MatchPipeline: Sendable {
    package var tieTolerance: Double
    /// Extra tied candidates considered beyond `limit`, to bound the walk when many miners tie.
    package var maxTiedExtra: Int

    package init(tieTolerance: Double, maxTiedExtra: Int = 32) {
        self.tieTolerance = tieTolerance
        self.maxTiedExtra = maxTiedExtra
    }

    package struct Selection: Sendable {
        /// Chosen slots, best first: the preferred miners that qualify, then the walk's.
        package var slots: [Int32]
        package var rejected: [String: Int]

        package init(slots: [Int32], rejected: [String: Int]) {
            self.slots = slots
            self.rejected = rejected
        }
    }

    /// Picks up to `request.listed` miners for `request` from `index`, which holds only the miners matchable
    /// now: every miner when it names no model, else those of any of its models; of its regions only; with
    /// requirements, only the requirement tiers that can satisfy them. `excluded` holds the fleet slots of
    /// `exclude`, `preferred` those of `preferences.miners`, which come first when they pass every filter.
    /// `rejected` counts every miner of those models that cannot take the job, under the first reason.
    package func select(
        _ request: MatchRequest, in index: CandidateIndex, members: [FleetMember], excluded: Set<Int32> = [],
        preferred: [Int32] = [], context: FilterContext, rng: inout SplitMix64
    ) -> Selection {
        let rankings = index.rankings(for: request.models)
        // A requested region that no miner ever named has no code: it admits nobody.
        let regions = request.regions.map { Set($0.compactMap(index.code(ofRegion:))) }
        let preferredRegions = Set(request.preferences.regions.compactMap(index.code(ofRegion:)))
        let filters = request.requirementFilters(excluded: excluded)
        let want = request.listed
        let slots = members.withUnsafeBufferPointer { members -> [Int32] in
            var chosen: [Int32] = []
            for slot in preferred where chosen.count < want && !chosen.contains(slot) {
                guard let e = index.entry(slot), e.unmatchable == nil,
                    request.models.isEmpty || e.models.contains(where: request.models.contains),
                    regions.map({ $0.contains(e.region) }) ?? true, !e.tier.verdict(request).excludesAll
                else { continue }
                let candidate = Candidate(members, slot: slot, at: context.now)
                if filters.allSatisfy({ $0.admits(candidate, in: context) }) { chosen.append(slot) }
            }
            guard chosen.count < want else { return chosen }
            var walk = Walk(
                want: want - chosen.count, skip: Set(chosen), members: members, filters: filters, preferredRegions: preferredRegions,
                index: index, context: context)
            if request.preferences.cheapest {
                // The whole fleet's rankings keep no price order: merge every model's (a miner of several is met once).
                let source = request.models.isEmpty ? Array(index.modelRankings) : rankings
                let lists = tiers(of: source, request, regions).map(\.byPrice)
                return chosen + (lists.count == 1 ? pick(lists[0], &walk, &rng) : pick(MergedRanking(lists), &walk, &rng))
            }
            var lists: [RankedList<Rank>] = []
            if !request.isTiered && regions == nil {
                lists = rankings.map(\.all)
            } else {
                lists = tiers(of: rankings, request, regions).map(\.byScore)
            }
            return chosen + (lists.count == 1 ? pick(lists[0], &walk, &rng) : pick(MergedRanking(lists), &walk, &rng))
        }
        return Selection(
            slots: slots,
            rejected: rejected(request, models: rankings, regions: regions, index: index, members: members, excluded: excluded, context: context))
    }

    /// The tiers of `rankings` that can satisfy `request`, in the regions it accepts (nil: all).
    private func tiers(of rankings: [CandidateIndex.Rankings], _ request: MatchRequest, _ regions: Set<Int32>?) -> [CandidateIndex.Tier] {
        var found: [CandidateIndex.Tier] = []
        let tiered = request.isTiered
        for r in rankings {
            for (code, region) in r.regions where regions?.contains(code) ?? true {
                for (tier, lists) in region.tiers where !tiered || !tier.verdict(request).excludesAll { found.append(lists) }
            }
        }
        return found
    }

    /// What a walk needs besides the ranking.
    private struct Walk {
        var want: Int
        var skip: Set<Int32>
        var members: UnsafeBufferPointer<FleetMember>
        var filters: [any MatchFilter]
        var preferredRegions: Set<Int32>
        var index: CandidateIndex
        var context: FilterContext
    }

    /// Where a rank falls along a walk: good standing before probation, then `group` (the price of a price
    /// walk) ascending, then score bands descending. Ranks in the same place are near-ties.
    private struct Place: Equatable {
        var probation: Bool
        var group: Int64
        var band: Int64

        func isBehind(_ other: Place) -> Bool {
            if probation != other.probation { return probation }
            if group != other.group { return group > other.group }
            return band < other.band
        }
    }

    /// A candidate a walk kept, with what orders it among near-ties (a struct, not a tuple: a tuple's
    /// metadata is looked up at run time on every match).
    private struct Hit {
        var slot: Int32
        var place: Place
        var preferred: Bool
        var utilization: Double
        var tiebreak: UInt64
    }

    /// Walks `ranking` best first and keeps the first `want` candidates every filter admits, with their
    /// near-ties, ordered. Generic only to serve every kind of ranking; each is specialized.
    private func pick<Key: RankKey, Ranking: Sequence<Key>>(_ ranking: Ranking, _ walk: inout Walk, _ rng: inout SplitMix64) -> [Int32] {
        let want = walk.want
        var hits: [Hit] = []
        hits.reserveCapacity(want + 4)
        var cutoff: Place?

        candidates: for rank in ranking {
            let place = Place(probation: rank.probation, group: rank.group, band: band(rank.score))
            if hits.count >= want, let cutoff, place.isBehind(cutoff) || hits.count >= want + maxTiedExtra { break }
            if !walk.skip.isEmpty && walk.skip.contains(rank.slot) { continue }
            let candidate = Candidate(walk.members, slot: rank.slot, at: walk.context.now)
            for filter in walk.filters where !filter.admits(candidate, in: walk.context) { continue candidates }
            let preferred = !walk.preferredRegions.isEmpty && walk.preferredRegions.contains(walk.index.entry(rank.slot)?.region ?? -1)
            hits.append(Hit(slot: rank.slot, place: place, preferred: preferred, utilization: candidate.utilization, tiebreak: rng.next()))
            if hits.count == want { cutoff = place }
        }

        hits.sort { a, b in
            if a.place != b.place { return b.place.isBehind(a.place) }
            if a.preferred != b.preferred { return a.preferred }
            if a.utilization != b.utilization { return a.utilization < b.utilization }
            return a.tiebreak < b.tiebreak
        }
        return hits.prefix(want).map(\.slot)
    }

    /// Every miner of the request's models that cannot take the job, under the first reason that holds
    /// (`Unmatchable`'s order, then `excluded`, `region`, then the requirements in filter order). Whole regions
    /// and tiers are counted from the index; only the tiers a threshold falls inside are looked at miner by
    /// miner. For several models a miner is counted once per requested model it serves.
    private func rejected(
        _ request: MatchRequest, models: [CandidateIndex.Rankings], regions: Set<Int32>?, index: CandidateIndex,
        members: [FleetMember], excluded: Set<Int32>, context: FilterContext
    ) -> [String: Int] {
        var counts: [String: Int] = [:]
        let requirements = request.requirementFilters(excluded: [])
        let tiered = request.isTiered
        for (k, r) in models.enumerated() {
            for reason in Unmatchable.allCases where r.count(reason) > 0 { counts[reason.rawValue, default: 0] += r.count(reason) }
            let model = request.models.isEmpty ? nil : request.models[k]
            var excludedByRegion: [Int32: Int] = [:]
            var excludedByTier: [Int32: [RequirementTier: Int]] = [:]
            for slot in excluded {
                guard let e = index.entry(slot), e.unmatchable == nil, model.map(e.models.contains) ?? true else { continue }
                counts["excluded", default: 0] += 1
                excludedByRegion[e.region, default: 0] += 1
                excludedByTier[e.region, default: [:]][e.tier, default: 0] += 1
            }
            if let regions {
                for (code, region) in r.regions where !regions.contains(code) {
                    let n = region.count - (excludedByRegion[code] ?? 0)
                    if n > 0 { counts["region", default: 0] += n }
                }
            }
            guard tiered else { continue }
            for (code, region) in r.regions where regions?.contains(code) ?? true {
                for (tier, lists) in region.tiers {
                    switch tier.verdict(request) {
                    case .satisfies:
                        continue
                    case .fails(let requirement):
                        let n = lists.count - (excludedByTier[code]?[tier] ?? 0)
                        if n > 0 { counts[requirement.rawValue, default: 0] += n }
                    case .boundary where r.keepsPrices && priceAlone(tier, request) != nil,
                        .failsVariously where r.keepsPrices && priceAlone(tier, request) != nil:
                        // The price ceiling falls inside this tier and every other requirement is met by all of its
                        // miners or failed by all: counted from the tier's price order, not miner by miner.
                        let ceiling = request.maxPriceMicros ?? .max
                        var above = lists.byPrice.countPriced(above: ceiling)
                        var below = lists.count - above
                        for slot in excluded {
                            guard let e = index.entry(slot), e.unmatchable == nil, e.region == code, e.tier == tier,
                                model.map(e.models.contains) ?? true
                            else { continue }
                            if (e.priceMicros ?? .max) > ceiling { above -= 1 } else { below -= 1 }
                        }
                        if above > 0 { counts["price", default: 0] += above }
                        if below > 0, case .fails(let next)? = priceAlone(tier, request) { counts[next.rawValue, default: 0] += below }
                    case .boundary, .failsVariously:
                        members.withUnsafeBufferPointer { members in
                            for rank in lists.byScore where !excluded.contains(rank.slot) {
                                let candidate = Candidate(members, slot: rank.slot, at: context.now)
                                if let failed = requirements.first(where: { !$0.admits(candidate, in: context) }) {
                                    counts[failed.name, default: 0] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return counts
    }

    /// When the price ceiling is the only requirement a tier leaves in question, what the tier's miners make of the
    /// others: all meet them (`.satisfies`) or all fail the same one first (`.fails`); nil otherwise.
    private func priceAlone(_ tier: RequirementTier, _ request: MatchRequest) -> RequirementTier.Verdict? {
        guard request.maxPriceMicros != nil else { return nil }
        let rest = tier.verdict(maxPrice: nil, minGPUMemory: request.minGPUMemory, minRAM: request.minRAM, maxLatency: request.maxLatency)
        switch rest {
        case .satisfies, .fails: return rest
        case .boundary, .failsVariously: return nil
        }
    }

    /// The near-tie band of a score: bands of `tieTolerance` (exact scores when it is 0).
    private func band(_ score: Double) -> Int64 {
        tieTolerance > 0 ? Int64((score / tieTolerance).rounded(.down)) : Int64(score.bitPattern >> 1)
    }
}
