// Per-model rankings of matchable miners, best score first.

/// A miner's position in a ranking: best score first, then lowest slot, so every rank is unique.
package struct Rank: Sendable, Equatable {
    package var score: Double
    package var slot: Int32

    package init(score: Double, slot: Int32) {
        self.score = score
        self.slot = slot
    }

    /// True when `self` ranks before `other`.
    @inlinable
    package func precedes(_ other: Rank) -> Bool {
        score != other.score ? score > other.score : slot < other.slot
    }
}

/// Miners ordered by score, best first; insert and remove by binary search.
package struct RankedList: Sendable {
    package private(set) var ranks: [Rank] = []

    package init() {}

    private func insertionPoint(_ rank: Rank) -> Int {
        var lo = 0
        var hi = ranks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranks[mid].precedes(rank) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    package mutating func insert(_ rank: Rank) {
        ranks.insert(rank, at: insertionPoint(rank))
    }

    package mutating func remove(_ rank: Rank) {
        let i = insertionPoint(rank)
        if i < ranks.count, ranks[i] == rank { ranks.remove(at: i) }
    }

    /// Moves `old` to where `new` belongs, shifting only the ranks between the two places, so the
    /// small score changes of a result or a refresh cost little even in a long list.
    package mutating func move(_ old: Rank, to new: Rank) {
        let i = insertionPoint(old)
        guard i < ranks.count, ranks[i] == old else { return insert(new) }
        if new == old { return }
        if new.precedes(old) {
            let j = insertionPoint(new)
            var k = i
            while k > j {
                ranks[k] = ranks[k - 1]
                k -= 1
            }
            ranks[j] = new
        } else {
            let j = insertionPoint(new) - 1
            var k = i
            while k < j {
                ranks[k] = ranks[k + 1]
                k += 1
            }
            ranks[j] = new
        }
    }

    /// Builds a list from unordered ranks in one sort.
    package init(unordered: [Rank]) {
        ranks = unordered.sorted { $0.precedes($1) }
    }
}

/// The match pipeline's candidate source: for each model, and for the whole fleet, the miners
/// that serve it ordered by score, so a match walks the best miners first and stops early.
package struct CandidateIndex: Sendable {
    private var byModel: [String: RankedList] = [:]
    private var everyone = RankedList()

    package init() {}

    /// Builds the index for many miners at once (start-up): one sort per list instead of an insert per miner.
    package init(_ entries: [(slot: Int32, models: [String], score: Double)]) {
        var byModel: [String: [Rank]] = [:]
        for entry in entries {
            for model in entry.models { byModel[model, default: []].append(Rank(score: entry.score, slot: entry.slot)) }
        }
        self.byModel = byModel.mapValues(RankedList.init(unordered:))
        everyone = RankedList(unordered: entries.map { Rank(score: $0.score, slot: $0.slot) })
    }

    package mutating func insert(slot: Int32, models: [String], score: Double) {
        let rank = Rank(score: score, slot: slot)
        everyone.insert(rank)
        for model in models { byModel[model, default: RankedList()].insert(rank) }
    }

    package mutating func remove(slot: Int32, models: [String], score: Double) {
        let rank = Rank(score: score, slot: slot)
        everyone.remove(rank)
        for model in models {
            byModel[model]?.remove(rank)
            if byModel[model]?.ranks.isEmpty == true { byModel[model] = nil }
        }
    }

    /// Re-ranks a miner whose score changed.
    package mutating func rescore(slot: Int32, models: [String], from old: Double, to new: Double) {
        guard old != new else { return }
        let from = Rank(score: old, slot: slot)
        let to = Rank(score: new, slot: slot)
        everyone.move(from, to: to)
        for model in models { byModel[model]?.move(from, to: to) }
    }

    /// Candidates for `model`, best first; every indexed miner when `model` is nil.
    package func ranking(for model: String?) -> [Rank] {
        guard let model else { return everyone.ranks }
        return byModel[model]?.ranks ?? []
    }

    /// Indexed miners that serve none of `models` (none when `models` is empty). Counted for one model
    /// only: for several it would cost a pass over the fleet, so they report 0.
    package func countNotServing(_ models: [String]) -> Int {
        models.count == 1 ? count - ranking(for: models[0]).count : 0
    }

    /// Number of indexed (matchable) miners.
    package var count: Int { everyone.ranks.count }
}
