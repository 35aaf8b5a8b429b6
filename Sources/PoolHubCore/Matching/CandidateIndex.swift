// Per-model rankings of the miners that can be matched now, split by region and requirement tier.

/// The match pipeline's candidate source. It holds only what can be matched now: a miner that is
/// offline, unavailable, full, suspended or below a `[thresholds]` limit leaves every ranking it is in (and is
/// counted under that reason) until an event brings it back. Each model's matchable miners are ranked
/// by score once whole, and again per region and requirement tier (`RequirementTier`: price, GPU memory,
/// RAM, estimated time), there also by price, so a request with requirements merges only the tiers of the
/// regions that can satisfy it, in the order it asks for. Every change costs O(models × log n); a match
/// costs O(limit + tiers), plus the miners of the tiers its thresholds fall inside.
package struct CandidateIndex: Sendable {
    /// What the index holds of one listed miner.
    package struct Entry: Equatable, Sendable {
        package var rank: Rank
        package var models: [String]
        /// The region's code (`CandidateIndex.intern`); -1: the miner named none.
        package var region: Int32
        package var tier: RequirementTier
        /// Micro-USD per GPU hour, for the price rankings.
        package var priceMicros: Int64?
        /// nil: matchable now.
        package var unmatchable: Unmatchable?

        package init(
            rank: Rank, models: [String], region: Int32 = -1, tier: RequirementTier, priceMicros: Int64? = nil, unmatchable: Unmatchable?
        ) {
            self.rank = rank
            self.models = models
            self.region = region
            self.tier = tier
            self.priceMicros = priceMicros
            self.unmatchable = unmatchable
        }

        /// How member `slot` of `members` is filed now, in the region coded `region`; nil when it is not listed.
        package init?(_ members: UnsafeBufferPointer<FleetMember>, slot: Int32, region: Int32, in context: FilterContext) {
            // Fields read in place: a member copied whole costs a retain of each of its references.
            let i = Int(slot)
            guard members[i].isListed else { return nil }
            let candidate = Candidate(members, slot: slot, at: context.now)
            self.init(
                rank: Rank(score: members[i].card.score, slot: slot, probation: members[i].stats.standing.isOnProbation),
                models: members[i].miner.capabilities.models,
                region: region,
                tier: RequirementTier(
                    gpuMemory: candidate.gpuMemory, ramMemory: candidate.ramMemory, estimatedTimeMs: candidate.estimatedTimeMs,
                    priceMicros: candidate.priceMicros),
                priceMicros: candidate.priceMicros, unmatchable: Unmatchable.first(for: candidate, in: context))
        }

        package var priceRank: PriceRank { PriceRank(price: priceMicros, score: rank.score, slot: rank.slot, probation: rank.probation) }
    }

    /// The matchable miners of one requirement tier, by score and (in a model's rankings) by price.
    package struct Tier: Sendable {
        package fileprivate(set) var byScore = RankedList<Rank>()
        package fileprivate(set) var byPrice = RankedList<PriceRank>()
        package var count: Int { byScore.count }
    }

    /// The matchable miners of one region, by requirement tier.
    package struct Region: Sendable {
        package fileprivate(set) var tiers: [RequirementTier: Tier] = [:]
        package fileprivate(set) var count = 0

        // In place, through the dictionaries' accessors: a copy of a tier would copy its lists.
        fileprivate mutating func add(_ e: Entry, keepsPrices: Bool) {
            count += 1
            tiers[e.tier, default: Tier()].byScore.insert(e.rank)
            if keepsPrices { tiers[e.tier]?.byPrice.insert(e.priceRank) }
        }

        fileprivate mutating func remove(_ e: Entry, keepsPrices: Bool) {
            count -= 1
            tiers[e.tier]?.byScore.remove(e.rank)
            if keepsPrices { tiers[e.tier]?.byPrice.remove(e.priceRank) }
            if tiers[e.tier]?.byScore.isEmpty == true { tiers[e.tier] = nil }
        }
    }

    /// One model's miners (or the whole fleet's): the matchable ones ranked, the rest counted by reason.
    package struct Rankings: Sendable {
        package private(set) var all = RankedList<Rank>()
        package private(set) var regions: [Int32: Region] = [:]
        /// Listed miners, matchable or not.
        package private(set) var listed = 0
        /// Whether the tiers keep a price order too (a model's rankings; the whole fleet's do not, to save memory).
        package let keepsPrices: Bool
        private var unmatchable = [Int](repeating: 0, count: Unmatchable.allCases.count)

        package func count(_ reason: Unmatchable) -> Int { unmatchable[reason.position] }

        /// Matchable miners.
        package var matchable: Int { all.count }

        mutating func add(_ e: Entry) {
            listed += 1
            if let reason = e.unmatchable {
                unmatchable[reason.position] += 1
                return
            }
            all.insert(e.rank)
            regions[e.region, default: Region()].add(e, keepsPrices: keepsPrices)
        }

        mutating func remove(_ e: Entry) {
            listed -= 1
            if let reason = e.unmatchable {
                unmatchable[reason.position] -= 1
                return
            }
            all.remove(e.rank)
            regions[e.region]?.remove(e, keepsPrices: keepsPrices)
            if regions[e.region]?.count == 0 { regions[e.region] = nil }
        }

        /// Bulk start: matchable ranks sorted once per list.
        init(_ entries: [Entry], keepsPrices: Bool) {
            self.keepsPrices = keepsPrices
            var byTier: [Int32: [RequirementTier: [Entry]]] = [:]
            var ranks: [Rank] = []
            for e in entries {
                listed += 1
                if let reason = e.unmatchable {
                    unmatchable[reason.position] += 1
                } else {
                    ranks.append(e.rank)
                    byTier[e.region, default: [:]][e.tier, default: []].append(e)
                }
            }
            all = RankedList(unordered: ranks)
            regions = byTier.mapValues { tiers in
                var region = Region()
                for (key, members) in tiers {
                    region.count += members.count
                    region.tiers[key] = Tier(
                        byScore: RankedList(unordered: members.map(\.rank)),
                        byPrice: keepsPrices ? RankedList(unordered: members.map(\.priceRank)) : RankedList())
                }
                return region
            }
        }

        init(keepsPrices: Bool) { self.keepsPrices = keepsPrices }
    }

    private var byModel: [String: Rankings] = [:]
    private var everyone = Rankings(keepsPrices: false)
    private var entries: [Entry?] = []
    /// Region names by code, and codes by name: regions are compared as small integers.
    private var regionCodes: [String: Int32] = [:]

    package init() {}

    /// Builds the index for many miners at once (start-up): one sort per list instead of an insert per miner.
    /// `regions` holds the codes the entries' regions were interned under (`intern`).
    package init(_ entries: [Entry?], regions: [String: Int32] = [:]) {
        self.entries = entries
        regionCodes = regions
        var byModel: [String: [Entry]] = [:]
        var listed: [Entry] = []
        for case let e? in entries {
            listed.append(e)
            for model in e.models { byModel[model, default: []].append(e) }
        }
        self.byModel = byModel.mapValues { Rankings($0, keepsPrices: true) }
        everyone = Rankings(listed, keepsPrices: false)
    }

    package func entry(_ slot: Int32) -> Entry? { Int(slot) < entries.count ? entries[Int(slot)] : nil }

    /// The code of a region name, given it one if it is new; -1 for none.
    package mutating func intern(_ region: String?) -> Int32 {
        guard let region else { return -1 }
        if let code = regionCodes[region] { return code }
        let code = Int32(regionCodes.count)
        regionCodes[region] = code
        return code
    }

    /// The code of a region name; nil when no miner was ever filed in it.
    package func code(ofRegion region: String) -> Int32? { regionCodes[region] }

    /// Every region name with its code, to build a new index with the same codes.
    package var regionTable: [String: Int32] { regionCodes }

    /// Files `slot` as `entry` (nil: not listed), moving it between rankings and counts as needed.
    package mutating func set(_ slot: Int32, _ entry: Entry?) {
        let i = Int(slot)
        while entries.count <= i { entries.append(nil) }
        let old = entries[i]
        guard old != entry else { return }
        if let old {
            everyone.remove(old)
            for model in old.models {
                byModel[model]?.remove(old)
                if byModel[model]?.listed == 0 { byModel[model] = nil }
            }
        }
        if let entry {
            everyone.add(entry)
            for model in entry.models { byModel[model, default: Rankings(keepsPrices: true)].add(entry) }
        }
        entries[i] = entry
    }

    /// The rankings of each of `models`; the whole fleet's when `models` is empty.
    package func rankings(for models: [String]) -> [Rankings] {
        models.isEmpty ? [everyone] : models.compactMap { byModel[$0] }
    }

    /// Every model's rankings (a price order over the whole fleet merges them).
    package var modelRankings: Dictionary<String, Rankings>.Values { byModel.values }

    /// Listed miners that serve none of `models` (none when `models` is empty). Counted for one model
    /// only: for several it would need a pass over the fleet, so they report 0.
    package func countNotServing(_ models: [String]) -> Int {
        models.count == 1 ? everyone.listed - (byModel[models[0]]?.listed ?? 0) : 0
    }

    /// Matchable miners.
    package var matchableCount: Int { everyone.all.count }
    /// Listed miners, matchable or not.
    package var listedCount: Int { everyone.listed }
}

extension Unmatchable {
    /// Position in `allCases`, for counting in an array.
    var position: Int {
        switch self {
        case .cordoned: 0
        case .suspended: 1
        case .offline: 2
        case .unavailable: 3
        case .atCapacity: 4
        case .successRate: 5
        case .slow: 6
        case .availability: 7
        }
    }
}
