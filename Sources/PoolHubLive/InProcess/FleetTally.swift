// The fleet's summary, kept as members are filed rather than counted by a scan.

import PoolHubCore

/// The fleet's summary kept up to date: each member's share as of its last filing, and their sum.
///
/// `InProcessFleet` files a member again on every change and at every expiry of its heartbeat or a reservation,
/// so the sum stays exact and a summary (a health check, the status, a scrape, a history sample) costs no scan of
/// the fleet in its lock: at 1,000,000 miners such a scan held every match up for a large fraction of a second.
struct FleetTally {
    /// What one member adds to the summary.
    struct Share: Equatable {
        private static let listedFlag: UInt8 = 1
        private static let onlineFlag: UInt8 = 2
        private static let availableFlag: UInt8 = 4

        private var flags: UInt8 = 0
        fileprivate var slots: Int32 = 0
        fileprivate var used: Int32 = 0
        fileprivate var reserved: Int32 = 0
        fileprivate var leases: Int32 = 0

        init() {}

        /// A listed member's share; the slots counted only while it is online, as `FleetSummary` defines them.
        init(online: Bool, available: Bool, slots: Int, used: Int, reserved: Int, leases: Int) {
            flags = Self.listedFlag | (online ? Self.onlineFlag : 0) | (online && available ? Self.availableFlag : 0)
            self.slots = online ? Int32(clamping: slots) : 0
            self.used = online ? Int32(clamping: min(used, slots)) : 0
            self.reserved = Int32(clamping: reserved)
            self.leases = Int32(clamping: leases)
        }

        /// A deregistered member's: only the leases it still keeps in memory.
        init(unlistedWithLeases leases: Int) { self.leases = Int32(clamping: leases) }

        fileprivate var listed: Int { flags & Self.listedFlag == 0 ? 0 : 1 }
        fileprivate var online: Int { flags & Self.onlineFlag == 0 ? 0 : 1 }
        fileprivate var available: Int { flags & Self.availableFlag == 0 ? 0 : 1 }
    }

    private var shares: [Share] = []
    /// The sum of every share (its `entries` left to the fleet, which knows its maps).
    private(set) var summary = FleetSummary()
    /// The sum of the shares of each model's miners (a miner serving two models counts under both).
    private(set) var byModel: [String: ModelSummary] = [:]
    /// Reservations held in members' memory, expired ones not yet forgotten included.
    private(set) var leases = 0

    /// Replaces member `slot`'s share. `served` are the models it served when its share was last set (its index
    /// entry's before the change), `serves` those it serves now: a profile change moves its share between them.
    mutating func set(_ slot: Int32, _ share: Share, served: [String], serves: [String]) {
        let i = Int(slot)
        if i >= shares.count { shares.append(contentsOf: repeatElement(Share(), count: i - shares.count + 1)) }
        let before = shares[i]
        let sameModels = served == serves
        guard before != share || !sameModels else { return }
        add(before, sign: -1)
        add(share, sign: 1)
        shares[i] = share
        if sameModels {
            // The usual case (a heartbeat, a reservation): one lookup a model. Serving the same models, it stays listed.
            for model in serves { byModel[model]?.replace(before, with: share) }
            return
        }
        for model in served {
            byModel[model]?.add(before, sign: -1)
            if byModel[model]?.miners == 0 { byModel[model] = nil }
        }
        for model in serves { byModel[model, default: ModelSummary()].add(share, sign: 1) }
    }

    private mutating func add(_ share: Share, sign: Int) {
        summary.total += sign * share.listed
        summary.online += sign * share.online
        summary.available += sign * share.available
        summary.totalSlots += sign * Int(share.slots)
        summary.usedSlots += sign * Int(share.used)
        summary.activeReservations += sign * Int(share.reserved)
        leases += sign * Int(share.leases)
    }
}

extension ModelSummary {
    fileprivate mutating func replace(_ old: FleetTally.Share, with new: FleetTally.Share) {
        add(old, sign: -1)
        add(new, sign: 1)
    }

    fileprivate mutating func add(_ share: FleetTally.Share, sign: Int) {
        miners += sign * share.listed
        online += sign * share.online
        totalSlots += sign * Int(share.slots)
        usedSlots += sign * Int(share.used)
    }
}
