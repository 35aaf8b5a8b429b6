public import Foundation
public import PoolHubCore

/// What one SLA pass writes: its samples and capacity snapshots, and which violations to open and resolve.
public struct SLAPassRecord: Sendable {
    public var at: Date
    public var samples: [SLASample]
    public var snapshots: [CapacitySnapshot]
    /// Samples, snapshots and closed online spells older than this are deleted.
    public var pruneBefore: Date

    public init(at: Date, samples: [SLASample], snapshots: [CapacitySnapshot], pruneBefore: Date) {
        self.at = at
        self.samples = samples
        self.snapshots = snapshots
        self.pruneBefore = pruneBefore
    }
}

public struct SLAPassOutcome: Sendable, Equatable {
    public var violationsOpened: [SLAMetric] = []
    public var violationsResolved = 0

    public init() {}
}

/// Durable SLA history: online spells (kept by `saveStatus`), samples, violations and capacity snapshots.
public protocol SLAStore: Sendable {
    /// Every listed miner's online spells that overlap `window`, the current one ending at its last heartbeat's expiry.
    func onlineSpells(overlapping window: DateInterval) async throws -> [MinerAddress: OnlineSpells]
    /// Job results reported within `window`, per miner.
    func jobWindows(_ window: DateInterval) async throws -> [MinerAddress: JobWindow]
    /// Stores a pass in one transaction. A violating sample updates its open violation or opens one
    /// (at most one is open per miner and metric); every open violation the pass did not find again is resolved.
    func recordSLAPass(_ pass: SLAPassRecord) async throws -> SLAPassOutcome
    /// How many samples were recorded since `since`.
    func slaSampleCount(since: Date) async throws -> Int
    /// Samples since `since`, newest first.
    func slaSamples(minerID: MinerAddress?, metric: SLAMetric?, since: Date, limit: Int) async throws -> [SLASample]
    /// Violations, newest first; `minerID` filters to one miner, `resolved` to open (false) or closed (true) ones.
    func slaViolations(minerID: MinerAddress?, resolved: Bool?, limit: Int) async throws -> [SLAViolation]
    /// Snapshots since `since`, oldest first; `model` nil is the whole fleet.
    func capacitySnapshots(model: String?, since: Date) async throws -> [CapacitySnapshot]
    /// The models that have snapshots since `since`.
    func snapshotModels(since: Date) async throws -> [String]
}
