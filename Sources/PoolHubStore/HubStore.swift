// The store protocol for miners, statuses and job results.

package import Foundation
package import PoolHubCore

/// A miner as storage holds it: profile, credential, history and last known status.
package struct StoredMiner: Sendable, Equatable {
    package var miner: Miner
    package var credential: MinerCredential
    package var stats: MinerStats
    package var uptime: UptimeLedger
    package var status: LiveStatus?
    package var deregisteredAt: Date?
    /// Set while an operator keeps the miner out of matching.
    package var cordonedAt: Date?

    package init(
        miner: Miner, credential: MinerCredential, stats: MinerStats, uptime: UptimeLedger, status: LiveStatus?,
        deregisteredAt: Date?, cordonedAt: Date? = nil
    ) {
        self.cordonedAt = cordonedAt
        self.miner = miner
        self.credential = credential
        self.stats = stats
        self.uptime = uptime
        self.status = status
        self.deregisteredAt = deregisteredAt
    }
}

/// What happened to a reported job result.
package enum ResultRecording: Sendable, Equatable {
    /// Counted; the miner's statistics after it.
    case recorded(MinerStats)
    /// The same report was already counted.
    case duplicate(JobResult)
    /// A different report for the same job and miner was already counted.
    case conflict(JobResult)
    case unknownMiner
}

/// Durable storage of the hub. One implementation per database; the same behaviour from each.
package protocol HubStore: SLAStore, UsageStore {
    /// Applies pending migrations; returns the versions applied now.
    @discardableResult func migrate() async throws -> [Int]
    func loadMiners() async throws -> [StoredMiner]
    /// The same row `loadMiners` gives for `address`; nil when the address is unknown.
    func loadMiner(_ address: MinerAddress) async throws -> StoredMiner?
    /// The miner whose credential has this lookup digest (`MinerCredential.lookup`); nil when none has.
    func minerAddress(withKey lookup: [UInt8]) async throws -> MinerAddress?
    /// Inserts a new miner; false when the address, or its credential's lookup digest, is already taken.
    func insertMiner(_ miner: Miner, credential: MinerCredential, stats: MinerStats) async throws -> Bool
    /// Updates a known miner's profile and credential and clears any deregistration.
    func updateMiner(_ miner: Miner, credential: MinerCredential, at now: Date) async throws
    func deregister(_ address: MinerAddress, at now: Date) async throws
    /// Cordons a miner (`cordonedAt` set) or uncordons it (nil); a re-registration leaves it as it is.
    func setCordon(_ address: MinerAddress, cordonedAt: Date?, at now: Date) async throws
    /// Keeps the latest status of each miner, all of them in one write; an older heartbeat never
    /// overwrites a newer one. A miner counts as online until its update's `onlineUntil` (its heartbeat's
    /// expiry); a heartbeat after that starts a new online spell.
    func saveStatuses(_ updates: [StatusUpdate]) async throws
    /// Stores a result and the miner's statistics updated by it, in one transaction, once per job and miner;
    /// with `thresholds`, the result is judged too (suspension, probation: `MinerStats.judging`) under the same
    /// row lock, so two instances never judge from the same old standing; with `usage`, the result's usage
    /// records too, in the same transaction.
    func recordResult(
        _ result: JobResult, decay: Decay, thresholds: ScoringConfig.Thresholds?, usage: ResultUsage?
    ) async throws -> ResultRecording
    /// Suspends a miner whose stored history falls short of a threshold while it is in good standing
    /// (`MinerStats.reviewed`), under the same row lock as results; the new statistics, nil when nothing changed.
    func reviewStanding(_ address: MinerAddress, thresholds: ScoringConfig.Thresholds, at now: Date) async throws -> MinerStats?
    /// Round trip to the database, for health checks.
    func ping() async throws
}

extension HubStore {
    /// A result without billing.
    package func recordResult(_ result: JobResult, decay: Decay) async throws -> ResultRecording {
        try await recordResult(result, decay: decay, thresholds: nil, usage: nil)
    }

    /// A result with billing, not judged.
    package func recordResult(_ result: JobResult, decay: Decay, usage: ResultUsage?) async throws -> ResultRecording {
        try await recordResult(result, decay: decay, thresholds: nil, usage: usage)
    }
}
