public import Foundation
public import PoolHubCore

/// The hub's hot state: who is registered and online, live load, reservations and scores.
/// In process by default; shared through Redis when several hub instances run.
public protocol LiveState: Sendable {
    /// Replaces everything with what storage holds (start-up).
    func load(_ members: [FleetMember])
    func member(_ address: MinerAddress) -> FleetMember?
    /// Adds a new miner or updates the profile and credential of a known one, keeping its history.
    func upsert(_ miner: Miner, credential: MinerCredential, stats: MinerStats, at now: Date)
    /// Takes a miner out of matching for good and releases its reservations; false when unknown.
    @discardableResult func deregister(_ address: MinerAddress, at now: Date) -> Bool
    /// Records a heartbeat; returns the updated uptime ledger to persist, nil for an unknown miner.
    func recordStatus(_ status: LiveStatus, of address: MinerAddress) -> UptimeLedger?
    /// Takes newer job statistics and the job's result: rescores the miner and releases the job's slot.
    func recordOutcome(of jobID: String, on address: MinerAddress, stats: MinerStats, at now: Date)
    func match(_ request: MatchRequest, at now: Date) -> MatchResult
    /// Frees a reservation; nil when it is unknown or already gone.
    func release(_ id: ReservationID, at now: Date) -> Reservation?
    /// Recomputes every score (time moves availability and decay even without new results).
    func refreshScores(at now: Date)
    /// Forgets expired reservations.
    func sweep(at now: Date)
    func members(where predicate: (FleetMember) -> Bool) -> [FleetMember]
    /// Every registered miner's current score, without copying the members.
    func scores() -> [(address: MinerAddress, score: Double)]
    func summary(at now: Date) -> FleetSummary
}

/// Fleet-wide counts for status, health and metrics.
public struct FleetSummary: Sendable, Equatable {
    public var total = 0
    public var online = 0
    public var available = 0
    public var totalSlots = 0
    public var usedSlots = 0
    public var activeReservations = 0

    public init() {}
}
