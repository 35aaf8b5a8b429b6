// The timer structure that drives expiries (heartbeat TTL, reservation TTL) without scanning the fleet.

package import Foundation

/// When each member's matchability next changes by time alone, as a binary min-heap: O(log n) to
/// schedule, O(log n) per expiry. A member has at most one live entry (`scheduled`); an entry
/// superseded by an earlier one stays in the heap until its time and is then skipped.
package struct ExpiryQueue: Sendable {
    private var heap: [(deadline: Double, slot: Int32)] = []
    /// Each slot's live deadline (seconds since 1970); infinity: none.
    private var scheduled: [Double] = []

    package init() {}

    package var count: Int { heap.count }

    /// Makes sure `slot` is looked at again by `deadline` (an earlier pending time stands).
    package mutating func schedule(_ slot: Int32, at date: Date) {
        let deadline = date.timeIntervalSinceReferenceDate
        let n = Int(slot)
        if n >= scheduled.count { scheduled += repeatElement(.infinity, count: n + 1 - scheduled.count) }
        if scheduled[n] <= deadline { return }
        scheduled[n] = deadline
        heap.append((deadline, slot))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// The next member whose time has come by `now`, taken off the queue; nil when none is due.
    package mutating func popDue(at date: Date) -> Int32? {
        let now = date.timeIntervalSinceReferenceDate
        while let top = heap.first, top.deadline <= now {
            let tail = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = tail
                siftDown()
            }
            guard scheduled[Int(top.slot)] == top.deadline else { continue }
            scheduled[Int(top.slot)] = .infinity
            return top.slot
        }
        return nil
    }

    /// Forgets everything (the fleet was reloaded).
    package mutating func removeAll() {
        heap.removeAll()
        scheduled.removeAll()
    }

    private mutating func siftDown() {
        var i = 0
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { return }
            var first = left
            if left + 1 < heap.count, heap[left + 1].deadline < heap[left].deadline { first = left + 1 }
            guard heap[first].deadline < heap[i].deadline else { return }
            heap.swapAt(i, first)
            i = first
        }
    }
}
