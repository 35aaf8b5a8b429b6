// Several rankings walked as one, best first (requirement tiers, any-of-models requests).

/// Several rankings walked as one, best first, each miner once: the tiers a request can use, of one
/// model or of several when any will do. Lazy (a heap of the lists' heads), so a match that stops
/// after a few hits reads only the heads of the lists, never the whole fleet.
package struct MergedRanking<Key: RankKey>: Sequence, Sendable {
    let lists: [RankedList<Key>]

    package init(_ lists: [RankedList<Key>]) { self.lists = lists }

    package struct Iterator: IteratorProtocol {
        var heads: [(rank: Key, list: RankedList<Key>.Iterator)] = []
        var last: Key?

        init(_ lists: [RankedList<Key>]) {
            heads.reserveCapacity(lists.count)
            for list in lists {
                var iterator = list.makeIterator()
                if let rank = iterator.next() { push((rank, iterator)) }
            }
        }

        package mutating func next() -> Key? {
            while let top = heads.first {
                var list = top.list
                if let following = list.next() {
                    heads[0] = (following, list)
                    siftDown(0)
                } else {
                    let tail = heads.removeLast()
                    if !heads.isEmpty {
                        heads[0] = tail
                        siftDown(0)
                    }
                }
                // A miner that serves several of the models holds the same rank in each of their lists.
                if top.rank == last { continue }
                last = top.rank
                return top.rank
            }
            return nil
        }

        private mutating func push(_ head: (rank: Key, list: RankedList<Key>.Iterator)) {
            heads.append(head)
            var i = heads.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heads[i].rank.precedes(heads[parent].rank) else { break }
                heads.swapAt(i, parent)
                i = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1
                guard left < heads.count else { return }
                var best = left
                if left + 1 < heads.count, heads[left + 1].rank.precedes(heads[left].rank) { best = left + 1 }
                guard heads[best].rank.precedes(heads[i].rank) else { return }
                heads.swapAt(i, best)
                i = best
            }
        }
    }

    package func makeIterator() -> Iterator { Iterator(lists) }
}
