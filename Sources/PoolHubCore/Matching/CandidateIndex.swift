// Per-model rankings of the miners that can be matched now, split into requirement tiers.

/// The match pipeline's candidate source. It holds only what can be matched now: a miner that is
/// offline, unavailable, full or below a `[thresholds]` limit leaves every ranking it is in (and is
/// counted under that reason) until an event brings it back. Each model's matchable miners are ranked
/// by score, once whole and once per requirement tier, so a request with requirements merges only the
/// tiers that can satisfy it. Every change costs O(models × log n); a match costs O(limit + tiers),
/// plus the miners of the tiers its thresholds fall inside.
package struct CandidateIndex: Sendable {
    /// What the index holds of one listed miner.
    package struct Entry: Equatable, Sendable {
        package var rank: Rank
        package var models: [String]
        package var tier: RequirementTier
        /// nil: matchable now.
        package var unmatchable: Unmatchable?

        package init(rank: Rank, models: [String], tier: RequirementTier, unmatchable: Unmatchable?) {
            self.rank = rank
            self.models = models
            self.tier = tier
            self.unmatchable = unmatchable
        }

        /// How member `slot` of `members` is filed now; nil when it is not listed.
        package init?(_ members: UnsafeBufferPointer<FleetMember>, slot: Int32, in context: FilterContext) {
            let m = members[Int(slot)]
            guard m.isListed else { return nil }
            let candidate = Candidate(members, slot: slot, at: context.now)
            self.init(
                rank: Rank(score: m.card.score, slot: slot, probation: m.stats.standing.isOnProbation), models: m.miner.capabilities.models,
                tier: RequirementTier(
                    gpuMemory: candidate.gpuMemory, ramMemory: candidate.ramMemory, estimatedTimeMs: candidate.estimatedTimeMs),
                unmatchable: Unmatchable.first(for: candidate, in: context))
        }
    }

    /// One model's miners (or the whole fleet's): the matchable ones ranked, the rest counted by reason.
    package struct Rankings: Sendable {
        package private(set) var all = RankedList()
        package private(set) var tiers: [RequirementTier: RankedList] = [:]
        /// Listed miners, matchable or not.
        package private(set) var listed = 0
        private var unmatchable = [Int](repeating: 0, count: Unmatchable.allCases.count)

        package func count(_ reason: Unmatchable) -> Int { unmatchable[reason.position] }

        mutating func add(_ e: Entry) {
            listed += 1
            if let reason = e.unmatchable {
                unmatchable[reason.position] += 1
            } else {
                all.insert(e.rank)
                tiers[e.tier, default: RankedList()].insert(e.rank)
            }
        }

        mutating func remove(_ e: Entry) {
            listed -= 1
            if let reason = e.unmatchable {
                unmatchable[reason.position] -= 1
            } else {
                all.remove(e.rank)
                tiers[e.tier]?.remove(e.rank)
                if tiers[e.tier]?.isEmpty == true { tiers[e.tier] = nil }
            }
        }

        /// Bulk start: matchable ranks sorted once per list.
        init(_ entries: [Entry]) {
            var byTier: [RequirementTier: [Rank]] = [:]
            var ranks: [Rank] = []
            for e in entries {
                listed += 1
                if let reason = e.unmatchable {
                    unmatchable[reason.position] += 1
                } else {
                    ranks.append(e.rank)
                    byTier[e.tier, default: []].append(e.rank)
                }
            }
            all = RankedList(unordered: ranks)
            tiers = byTier.mapValues(RankedList.init(unordered:))
        }

        init() {}
    }

    private var byModel: [String: Rankings] = [:]
    private var everyone = Rankings()
    private var entries: [Entry?] = []

    package init() {}

    /// Builds the index for many miners at once (start-up): one sort per list instead of an insert per miner.
    package init(_ entries: [Entry?]) {
        self.entries = entries
        var byModel: [String: [Entry]] = [:]
        var listed: [Entry] = []
        for case let e? in entries {
            listed.append(e)
            for model in e.models { byModel[model, default: []].append(e) }
        }
        self.byModel = byModel.mapValues(Rankings.init)
        everyone = Rankings(listed)
    }

    package func entry(_ slot: Int32) -> Entry? { Int(slot) < entries.count ? entries[Int(slot)] : nil }

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
            for model in entry.models { byModel[model, default: Rankings()].add(entry) }
        }
        entries[i] = entry
    }

    /// The rankings of each of `models`; the whole fleet's when `models` is empty.
    package func rankings(for models: [String]) -> [Rankings] {
        models.isEmpty ? [everyone] : models.compactMap { byModel[$0] }
    }

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
