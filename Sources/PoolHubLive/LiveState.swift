// The hot-state protocol every implementation provides.

package import Foundation
package import PoolHubCore

/// The hub's hot state: who is registered and online, live load, reservations and scores.
/// In process by default; shared through Redis when several hub instances run.
///
/// Reads answer from this instance's memory. Writes that other instances must see are async: a
/// shared implementation announces them, and only reserving and releasing slots depend on the shared
/// state being reachable (they throw `LiveStateError.unavailable` rather than risk a double-booking).
package protocol LiveState: Sendable {
    /// Replaces everything with what storage holds (start-up).
    func load(_ members: [FleetMember], at now: Date)
    func member(_ address: MinerAddress) -> FleetMember?
    /// A member, asking storage when this instance has not heard of it yet: with several instances a
    /// miner may register through one and send its first heartbeat through another a moment later.
    func lookup(_ address: MinerAddress) async -> FleetMember?
    /// The member whose credential has this lookup digest, as this instance knows it (see `MinerCredential.lookup`).
    func member(withKey lookup: [UInt8]) -> FleetMember?
    /// Adds a new miner or updates the profile and credential of a known one, keeping its history.
    func upsert(_ miner: Miner, credential: MinerCredential, stats: MinerStats, at now: Date) async
    /// Takes a miner out of matching for good and releases its reservations; false when unknown.
    @discardableResult func deregister(_ address: MinerAddress, at now: Date) async -> Bool
    /// Cordons a miner (`cordonedAt` set: kept out of matching) or uncordons it (nil); false when unknown.
    /// Storage holds the cordon first; this announces it like a registration change.
    @discardableResult func setCordon(_ address: MinerAddress, cordonedAt: Date?) async -> Bool
    /// Records a heartbeat; returns the updated uptime ledger to persist, nil for an unknown miner.
    func recordStatus(_ status: LiveStatus, of address: MinerAddress) async -> UptimeLedger?
    /// Takes newer job statistics and the job's result: rescores the miner and releases the job's slot.
    func recordOutcome(of jobID: String, on address: MinerAddress, stats: MinerStats, at now: Date) async
    /// Takes newer statistics judged without a result (a standing review) and rescores the miner.
    func takeStats(_ stats: MinerStats, of address: MinerAddress, at now: Date) async
    func match(_ request: MatchRequest, at now: Date) async throws(LiveStateError) -> MatchResult
    /// Frees a reservation; nil when it is unknown or already gone.
    func release(_ id: ReservationID, at now: Date) async throws(LiveStateError) -> Reservation?
    /// Recomputes every score (time moves availability and decay even without new results).
    func refreshScores(at now: Date) async
    /// Forgets expired reservations.
    func sweep(at now: Date)
    /// Listed members that satisfy `predicate`; in process read a chunk at a time, so not all at one instant.
    func members(where predicate: (FleetMember) -> Bool) -> [FleetMember]
    /// Every registered miner's current score, without copying the members.
    func scores() -> [(address: MinerAddress, score: Double)]
    func summary(at now: Date) -> FleetSummary
    /// The summary of each model's miners (a miner serving two counts under both), also without a scan.
    func modelSummaries(at now: Date) -> [String: ModelSummary]
    /// nil when the state is in process; otherwise whether the shared state answers, and why not.
    func sharedStateCheck() async -> DependencyCheck?
    /// The miners whose heartbeat expired since the last call (by `sweep` or any other operation), for storage.
    func takeOfflineTransitions() -> [OfflineTransition]
}

/// A miner went offline: its last heartbeat (or restart grace) expired at `expiredAt`.
package struct OfflineTransition: Sendable, Equatable {
    package var address: MinerAddress
    package var status: LiveStatus
    package var uptime: UptimeLedger
    package var expiredAt: Date

    package init(address: MinerAddress, status: LiveStatus, uptime: UptimeLedger, expiredAt: Date) {
        self.address = address
        self.status = status
        self.uptime = uptime
        self.expiredAt = expiredAt
    }
}

/// The shared hot state could not be reached.
package enum LiveStateError: Error, Equatable, CustomStringConvertible {
    case unavailable(String)

    package var description: String {
        switch self {
        case .unavailable(let reason): "the shared hot state (Redis) is unavailable: \(reason)"
        }
    }
}

/// The answer of one dependency to a health check.
package struct DependencyCheck: Sendable, Equatable {
    package var ok: Bool
    package var latencyMs: Double?
    package var error: String?

    package init(ok: Bool, latencyMs: Double? = nil, error: String? = nil) {
        self.ok = ok
        self.latencyMs = latencyMs
        self.error = error
    }
}

/// One model's miners (listed), online miners and their slots, counted like `FleetSummary`'s.
package struct ModelSummary: Sendable, Equatable {
    package var miners = 0
    package var online = 0
    package var totalSlots = 0
    package var usedSlots = 0

    package init() {}
}

/// Fleet-wide counts for status, health and metrics.
package struct FleetSummary: Sendable, Equatable {
    package var total = 0
    package var online = 0
    package var available = 0
    package var totalSlots = 0
    package var usedSlots = 0
    package var activeReservations = 0
    /// Entries of each in-memory map, expired ones included (a soak watches that they stay flat).
    package var entries: [String: Int] = [:]

    package init() {}
}
