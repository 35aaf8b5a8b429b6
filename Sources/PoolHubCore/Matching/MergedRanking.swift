// Several models' rankings walked as one (any-of-models requests).

/// Several rankings walked as one, best first, each miner once: the candidates of a request that
/// accepts any of several models. Lazy, so a match that stops after a few hits reads only the
/// heads of the lists, never the whole fleet.
package struct MergedRanking: Sequence, Sendable {
    let lists: [[Rank]]

    package init(_ lists: [[Rank]]) { self.lists = lists }

    package struct Iterator: IteratorProtocol {
        let lists: [[Rank]]
        var positions: [Int]

        package mutating func next() -> Rank? {
            var best: Rank?
            for k in lists.indices where positions[k] < lists[k].count {
                let head = lists[k][positions[k]]
                if best.map({ head.precedes($0) }) ?? true { best = head }
            }
            guard let best else { return nil }
            // A miner that serves several of the models holds the same rank in each of their lists.
            for k in lists.indices where positions[k] < lists[k].count && lists[k][positions[k]] == best { positions[k] += 1 }
            return best
        }
    }

    package func makeIterator() -> Iterator { Iterator(lists: lists, positions: Array(repeating: 0, count: lists.count)) }
}
