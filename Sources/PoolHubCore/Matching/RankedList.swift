// Miners in rank order (`RankKey`), in sorted chunks: O(log n + chunk) per insert and remove.

/// Ranks in order, best first, kept as a list of sorted chunks of at most `chunkLimit` ranks: a miner
/// entering or leaving a ranking (it was reserved, released, went offline, was rescored) moves at most
/// one chunk's worth of memory instead of the whole list, and a walk reads chunk after chunk in order.
package struct RankedList<Key: RankKey>: Sendable, Sequence {
    private var chunks: [[Key]] = []
    package private(set) var count = 0

    static var chunkLimit: Int { 256 }

    package init() {}

    /// Builds a list from unordered ranks in one sort.
    package init(unordered: [Key]) {
        let sorted = unordered.sorted { $0.precedes($1) }
        chunks = stride(from: 0, to: sorted.count, by: Self.chunkLimit / 2).map {
            Array(sorted[$0..<Swift.min(sorted.count, $0 + Self.chunkLimit / 2)])
        }
        count = sorted.count
    }

    package var isEmpty: Bool { count == 0 }
    package var first: Key? { chunks.first?.first }

    /// The chunk `rank` belongs in: the first whose last rank does not precede it (or the last chunk).
    private func chunk(for rank: Key) -> Int {
        var lo = 0
        var hi = chunks.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid][chunks[mid].count - 1].precedes(rank) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private static func insertionPoint(_ rank: Key, in ranks: [Key]) -> Int {
        var lo = 0
        var hi = ranks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranks[mid].precedes(rank) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    package mutating func insert(_ rank: Key) {
        count += 1
        guard !chunks.isEmpty else {
            chunks = [[rank]]
            return
        }
        let c = chunk(for: rank)
        chunks[c].insert(rank, at: Self.insertionPoint(rank, in: chunks[c]))
        if chunks[c].count > Self.chunkLimit {
            let half = Array(chunks[c][(Self.chunkLimit / 2)...])
            chunks[c].removeLast(half.count)
            chunks.insert(half, at: c + 1)
        }
    }

    /// Removes `rank`; false when it is not in the list.
    @discardableResult
    package mutating func remove(_ rank: Key) -> Bool {
        guard !chunks.isEmpty else { return false }
        let c = chunk(for: rank)
        let i = Self.insertionPoint(rank, in: chunks[c])
        guard i < chunks[c].count, chunks[c][i] == rank else { return false }
        chunks[c].remove(at: i)
        if chunks[c].isEmpty { chunks.remove(at: c) }
        count -= 1
        return true
    }

    /// How many ranks precede `key`: O(log n) to find it, plus a sum over the chunks before it.
    package func count(before key: Key) -> Int {
        guard !chunks.isEmpty else { return 0 }
        let c = chunk(for: key)
        var n = 0
        for k in 0..<c { n += chunks[k].count }
        return n + Self.insertionPoint(key, in: chunks[c])
    }

    package struct Iterator: IteratorProtocol {
        let chunks: [[Key]]
        var c = 0
        var i = 0

        @inlinable
        package mutating func next() -> Key? {
            while c < chunks.count {
                if i < chunks[c].count {
                    defer { i += 1 }
                    return chunks[c][i]
                }
                c += 1
                i = 0
            }
            return nil
        }
    }

    package func makeIterator() -> Iterator { Iterator(chunks: chunks) }
}

extension RankedList where Key == PriceRank {
    /// How many miners are priced above `ceiling` (or name no price), from the price order: a request's price
    /// ceiling that falls inside a tier is counted without looking at its miners one by one.
    package func countPriced(above ceiling: Int64) -> Int {
        // Good standing and probation are two runs, each ordered by price.
        let next = ceiling == .max ? ceiling : ceiling + 1
        let good = count(before: PriceRank(price: next, score: .infinity, slot: .min, probation: false))
        let probationStart = count(before: PriceRank(price: .min, score: .infinity, slot: .min, probation: true))
        let probation = count(before: PriceRank(price: next, score: .infinity, slot: .min, probation: true)) - probationStart
        return count - good - probation
    }
}
