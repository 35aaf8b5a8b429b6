// When a miner was online, as spells, and its uptime over a window.

package import Foundation

/// When a miner was online, as stretches of time rather than heartbeats: a heartbeat keeps the miner
/// online for one heartbeat TTL, so heartbeats closer together than the TTL extend one spell and a
/// longer gap starts the next. Storage keeps the spells; this turns them into uptime.
package struct OnlineSpells: Sendable, Equatable {
    package var spells: [DateInterval]

    package init(_ spells: [DateInterval] = []) { self.spells = spells }

    /// The share of `window` covered by spells, in percent; nil for an empty window. Overlapping
    /// spells (two instances closing one at once) count once.
    package func uptimePct(over window: DateInterval) -> Double? {
        guard window.duration > 0 else { return nil }
        let clipped = spells.compactMap { $0.intersection(with: window) }.sorted { $0.start < $1.start }
        var online: TimeInterval = 0
        var coveredUntil = window.start
        for spell in clipped where spell.end > coveredUntil {
            online += spell.end.timeIntervalSince(max(spell.start, coveredUntil))
            coveredUntil = spell.end
        }
        return 100 * online / window.duration
    }
}
