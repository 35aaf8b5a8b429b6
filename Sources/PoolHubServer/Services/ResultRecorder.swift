// Recording job results: history, billing, score, slot.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// Records job results: counts each once, bills its usage, rescores the miner and frees the job's slot.
struct ResultRecorder: Sendable {
    let store: any HubStore
    let live: any LiveState
    let clock: any HubClock
    let decay: Decay
    /// Judge each result: crossing a limit suspends, probation follows.
    let thresholds: ScoringConfig.Thresholds
    let pricing: UsagePricing
    let defaultTenant: String

    /// Returns true when the report was counted now, false when it repeats one already counted.
    /// Its usage goes to `tenantID`, else the tenant the job was matched for, else the default tenant.
    func record(_ result: JobResult, tenantID: String? = nil) async throws -> Bool {
        let usage = ResultUsage(tenantID: tenantID, defaultTenant: defaultTenant, pricing: pricing)
        switch try await store.recordResult(result, decay: decay, thresholds: thresholds, usage: usage) {
        case .recorded(let stats):
            await live.recordOutcome(of: result.jobID, on: result.address, stats: stats, at: clock.now())
            return true
        case .duplicate:
            return false
        case .conflict(let existing):
            throw HubError.conflictingResult(jobID: result.jobID, address: result.address, reportedAs: existing.outcome)
        case .unknownMiner:
            throw HubError.minerNotFound(result.address.value)
        }
    }
}
