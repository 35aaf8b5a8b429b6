// Uptime over what the hub saw of a miner: from its first heartbeat within the window, after a minimum observation.

package import Foundation

extension OnlineSpells {
    /// The miner's uptime over the part of `window` the hub has watched it: from its first spell within the
    /// window (the window's start when it was online as the window opened, or when it was seen before and has
    /// been silent since), never before `registeredAt`. nil when the hub has never seen it online or has watched
    /// it for less than `minObservation`: a miner that heartbeats a moment after registering is not offline for
    /// that moment, and a few seconds are no measure of uptime.
    package func observedUptimePct(
        over window: DateInterval, registeredAt: Date, seenBefore: Bool, minObservation: TimeInterval
    ) -> Double? {
        let firstSpell = spells.lazy.compactMap { $0.intersection(with: window)?.start }.min()
        guard let firstSeen = firstSpell ?? (seenBefore ? window.start : nil) else { return nil }
        let since = max(firstSeen, registeredAt)
        guard since < window.end, window.end.timeIntervalSince(since) >= minObservation else { return nil }
        return uptimePct(over: DateInterval(start: since, end: window.end))
    }
}
