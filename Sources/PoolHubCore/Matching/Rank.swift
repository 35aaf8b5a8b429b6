// A miner's position in a ranking: by score, or by price for `preferences.cheapest`.

/// What a ranking orders miners by. Miners on probation always come after every miner in good standing;
/// `group` is what comes before the score (the price, in a price ranking; 0 in a score ranking).
package protocol RankKey: Sendable, Equatable {
    var score: Double { get }
    var slot: Int32 { get }
    var probation: Bool { get }
    /// Ascending, before the score: the price in micro-USD for a price ranking, 0 otherwise.
    var group: Int64 { get }
    /// True when `self` ranks before `other`.
    func precedes(_ other: Self) -> Bool
}

/// A miner's position in a score ranking: miners in good standing before those on probation, then best
/// score first, then lowest slot, so every rank is unique.
package struct Rank: RankKey {
    package var score: Double
    package var slot: Int32
    /// On probation after a suspension: ranked after every miner in good standing.
    package var probation: Bool

    package init(score: Double, slot: Int32, probation: Bool = false) {
        self.score = score
        self.slot = slot
        self.probation = probation
    }

    package var group: Int64 { 0 }

    @inlinable
    package func precedes(_ other: Rank) -> Bool {
        if probation != other.probation { return other.probation }
        return score != other.score ? score > other.score : slot < other.slot
    }
}

/// A miner's position in a price ranking (`preferences.cheapest`): good standing first, then the lowest
/// price (a miner without one last), then the best score, then the lowest slot.
package struct PriceRank: RankKey {
    /// Micro-USD per GPU hour; `Int64.max` when the miner named no price.
    package var price: Int64
    package var score: Double
    package var slot: Int32
    package var probation: Bool

    package init(price: Int64?, score: Double, slot: Int32, probation: Bool = false) {
        self.price = price ?? .max
        self.score = score
        self.slot = slot
        self.probation = probation
    }

    package var group: Int64 { price }

    @inlinable
    package func precedes(_ other: PriceRank) -> Bool {
        if probation != other.probation { return other.probation }
        if price != other.price { return price < other.price }
        return score != other.score ? score > other.score : slot < other.slot
    }
}
