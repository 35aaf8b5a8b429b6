// The dashboard's recent history: a fixed-size ring of fleet and traffic samples.

import Foundation
import Synchronization

/// One sample of the hub, taken every `HISTORY_SAMPLE_SECONDS`: the fleet, the traffic since the
/// previous sample as rates, and the match latency quantiles of that interval.
struct HistorySample: Sendable, Equatable {
    var time: Date
    var minersTotal: Int
    var minersOnline: Int
    var minersAvailable: Int
    var slotsTotal: Int
    var slotsUsed: Int
    var reservations: Int
    var matchesPerSecond: Double
    var heartbeatsPerSecond: Double
    /// nil when no match was served in the interval.
    var matchP50Seconds: Double?
    var matchP99Seconds: Double?
}

/// A fixed-size ring of samples: the newest `capacity` are kept (8,640 = 24 h at 10 s), the memory
/// stays the same whatever the uptime, and a read copies them oldest first.
final class HistoryRing: Sendable {
    static let defaultCapacity = 8_640

    let capacity: Int
    private let state: Mutex<(samples: [HistorySample], next: Int)>

    init(capacity: Int = HistoryRing.defaultCapacity) {
        precondition(capacity > 0)
        self.capacity = capacity
        var samples: [HistorySample] = []
        samples.reserveCapacity(capacity)
        state = Mutex((samples, 0))
    }

    func append(_ sample: HistorySample) {
        state.withLock { s in
            if s.samples.count < capacity {
                s.samples.append(sample)
            } else {
                s.samples[s.next] = sample
            }
            s.next = (s.next + 1) % capacity
        }
    }

    /// The samples taken at or after `since` (all when nil), oldest first.
    func samples(since: Date? = nil) -> [HistorySample] {
        let ordered = state.withLock { s in
            s.samples.count < capacity ? s.samples : Array(s.samples[s.next...] + s.samples[..<s.next])
        }
        guard let since else { return ordered }
        return ordered.filter { $0.time >= since }
    }
}
