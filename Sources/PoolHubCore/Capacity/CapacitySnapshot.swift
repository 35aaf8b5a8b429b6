// The fleet's slot capacity at one instant, whole and per model.

package import Foundation

/// The fleet's capacity at one instant: the whole fleet (`model` nil) or the miners serving one model.
package struct CapacitySnapshot: Sendable, Equatable {
    package var takenAt: Date
    package var model: String?
    /// Registered (not deregistered) miners.
    package var totalMiners = 0
    package var onlineMiners = 0
    /// Slots of the online miners, and how many of those are in use.
    package var totalSlots = 0
    package var usedSlots = 0

    package init(takenAt: Date, model: String?, totalMiners: Int = 0, onlineMiners: Int = 0, totalSlots: Int = 0, usedSlots: Int = 0) {
        self.takenAt = takenAt
        self.model = model
        self.totalMiners = totalMiners
        self.onlineMiners = onlineMiners
        self.totalSlots = totalSlots
        self.usedSlots = usedSlots
    }

    /// Used share of the online slots, in percent (0 with no online slots: nothing is used).
    package var utilizationPct: Double { totalSlots > 0 ? 100 * Double(usedSlots) / Double(totalSlots) : 0 }

    /// Free share of the online slots, in percent; nil with no online slots (nothing to measure).
    package var availabilityPct: Double? { totalSlots > 0 ? 100 * Double(totalSlots - usedSlots) / Double(totalSlots) : nil }

    /// The fleet snapshot first, then one per model, from the members as the hot state holds them.
    package static func measure(_ members: [FleetMember], heartbeat: HeartbeatPolicy, at now: Date) -> [CapacitySnapshot] {
        var fleet = CapacitySnapshot(takenAt: now, model: nil)
        var byModel: [String: CapacitySnapshot] = [:]
        for m in members where m.isListed {
            let online = heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now)
            let slots = m.miner.capabilities.maxConcurrentJobs
            let used = min(m.usedSlots(at: now), slots)
            fleet.count(online: online, slots: slots, used: used)
            for model in Set(m.miner.capabilities.models) {
                byModel[model, default: CapacitySnapshot(takenAt: now, model: model)].count(online: online, slots: slots, used: used)
            }
        }
        return [fleet] + byModel.keys.sorted().map { byModel[$0]! }
    }

    private mutating func count(online: Bool, slots: Int, used: Int) {
        totalMiners += 1
        guard online else { return }
        onlineMiners += 1
        totalSlots += slots
        usedSlots += used
    }
}
