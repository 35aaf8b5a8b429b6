// The store protocol for SLA history.

package import Foundation
package import PoolHubCore

/// What one SLA pass writes: its samples and capacity snapshots, and which violations to open and resolve.
package struct SLAPassRecord: Sendable {
    package var at: Date
    package var samples: [SLASample]
    package var snapshots: [CapacitySnapshot]
    /// Samples, snapshots and closed online spells older than this are deleted.
    package var pruneBefore: Date

    package init(at: Date, samples: [SLASample], snapshots: [CapacitySnapshot], pruneBefore: Date) {
        self.at = at
        self.samples = samples
        self.snapshots = snapshots
        self.pruneBefore = pruneBefore
    }
}

package struct SLAPassOutcome: Sendable, Equatable {
    package var violationsOpened: [SLAMetric] = []
    package var violationsResolved = 0

    package init() {}
}

/// Durable SLA history: online spells (kept by `saveStatus`), samples, violations and capacity snapshots.
package protocol SLAStore: Sendable {
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
    /// How many violations are open, and how many of those are critical (counted, not loaded).
    func openViolationCounts() async throws -> OpenViolationCounts
    /// Snapshots since `since`, oldest first; `model` nil is the whole fleet.
    func capacitySnapshots(model: String?, since: Date) async throws -> [CapacitySnapshot]
    /// The models that have snapshots since `since`.
    func snapshotModels(since: Date) async throws -> [String]
}
