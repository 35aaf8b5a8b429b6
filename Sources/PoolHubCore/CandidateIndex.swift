/// A miner's position in a ranking: best score first, then lowest slot, so every rank is unique.
public struct Rank: Sendable, Equatable {
    public var score: Double
    public var slot: Int32

    public init(score: Double, slot: Int32) {
        self.score = score
        self.slot = slot
    }

    /// True when `self` ranks before `other`.
    @inlinable
    public func precedes(_ other: Rank) -> Bool {
        score != other.score ? score > other.score : slot < other.slot
    }
}

/// Miners ordered by score, best first; insert and remove by binary search.
public struct RankedList: Sendable {
    public private(set) var ranks: [Rank] = []

    public init() {}

    private func insertionPoint(_ rank: Rank) -> Int {
        var lo = 0
        var hi = ranks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranks[mid].precedes(rank) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public mutating func insert(_ rank: Rank) {
        ranks.insert(rank, at: insertionPoint(rank))
    }

    public mutating func remove(_ rank: Rank) {
        let i = insertionPoint(rank)
        if i < ranks.count, ranks[i] == rank { ranks.remove(at: i) }
    }
}

/// The match pipeline's candidate source: for each model, and for the whole fleet, the miners
/// that serve it ordered by score, so a match walks the best miners first and stops early.
public struct CandidateIndex: Sendable {
    private var byModel: [String: RankedList] = [:]
    private var everyone = RankedList()

    public init() {}

    public mutating func insert(slot: Int32, models: [String], score: Double) {
        let rank = Rank(score: score, slot: slot)
        everyone.insert(rank)
        for model in models { byModel[model, default: RankedList()].insert(rank) }
    }

    public mutating func remove(slot: Int32, models: [String], score: Double) {
        let rank = Rank(score: score, slot: slot)
        everyone.remove(rank)
        for model in models {
            byModel[model]?.remove(rank)
            if byModel[model]?.ranks.isEmpty == true { byModel[model] = nil }
        }
    }

    /// Candidates for `model`, best first; every indexed miner when `model` is nil.
    public func ranking(for model: String?) -> [Rank] {
        guard let model else { return everyone.ranks }
        return byModel[model]?.ranks ?? []
    }

    /// Number of indexed (matchable) miners.
    public var count: Int { everyone.ranks.count }

    public var models: [String] { Array(byModel.keys) }
}
