// Counting match requests for api_calls billing (group commit).

import Foundation
import Logging
import PoolHubCore
import PoolHubStore

/// Counts match requests per tenant and window for `api_calls` billing, and remembers the tenant of
/// each matched job so that its result is billed to it.
///
/// Matching is the hot path (in memory, thousands per second), so there is no write per match: the
/// counts that arrive while one write is in flight go together in the next (group commit), as one
/// upsert per tenant and window. A match is answered once the write carrying its count is stored, so a
/// killed hub loses no answered call. Billing never holds matching up for long: a caller waits at most
/// `patience` (on the hub's clock) however long the write takes, and not at all after a failed one; their counts stay queued
/// in memory, written as soon as storage answers again (only a kill during a database outage loses them).
final class APICallMeter: Sendable {
    /// How long a match may wait for the write of its count before it is answered anyway.
    static let patience = Duration.milliseconds(250)

    /// Job tenants held in memory while storage is down, at most (beyond, a result falls back to the default tenant).
    static let jobLimit = 100_000

    private let writer: GroupCommit<APICallBatch>
    private let store: any UsageStore
    private let window: Int64
    private let defaultTenant: String

    init(store: any UsageStore, window: Int64, defaultTenant: String, clock: any HubClock, logger: Logger) {
        self.store = store
        self.window = window
        self.defaultTenant = defaultTenant
        writer = GroupCommit(.keepAndRetry(patience: Self.patience), clock: clock) { transition in
            switch transition {
            case .failing(let error):
                logger.warning(
                    "match request counts cannot be stored; they are kept in memory and retried", metadata: ["error": "\(error)"])
            case .recovered:
                logger.notice("match request counts are being stored again")
            }
        }
    }

    /// Matches waiting for the write of their count.
    var waiting: Int { writer.waitingCallers }

    /// Counts one answered match request of `tenant` (nil: the default tenant) and remembers `jobID`'s
    /// tenant; returns once that is stored, or sooner while storage is slow or failing.
    func count(tenant requested: String?, jobID: String?, at now: Date) async {
        let tenant = requested ?? defaultTenant
        let call = APICallBatch.Call(
            tenantID: tenant, window: APICallWindow.containing(now, length: window),
            // The default tenant is the fallback anyway: no row needed.
            job: jobID.flatMap { tenant == defaultTenant ? nil : JobTenant(jobID: $0, tenantID: tenant, matchedAt: now) })
        let store = self.store
        try? await writer.submit(call) { batch in
            try await store.addAPICalls(
                batch.counts.map { APICallCount(tenantID: $0.key.tenantID, window: $0.key.window, calls: $0.value) },
                jobTenants: Array(batch.jobs.values))
        }
    }
}

/// Match request counts per tenant and window, and matched jobs' tenants, waiting for their write.
struct APICallBatch: CommitBatch {
    struct Call: Sendable {
        var tenantID: String
        var window: APICallWindow
        var job: JobTenant?
    }

    struct Key: Hashable {
        var tenantID: String
        var window: APICallWindow
    }

    private(set) var counts: [Key: Int64] = [:]
    private(set) var jobs: [String: JobTenant] = [:]

    var isEmpty: Bool { counts.isEmpty && jobs.isEmpty }

    mutating func add(_ call: Call) {
        counts[Key(tenantID: call.tenantID, window: call.window), default: 0] += 1
        if let job = call.job { keep(job) }
    }

    mutating func restore(_ failed: APICallBatch) {
        for (key, calls) in failed.counts { counts[key, default: 0] += calls }
        for job in failed.jobs.values { keep(job) }
    }

    private mutating func keep(_ job: JobTenant) {
        if jobs[job.jobID] == nil, jobs.count < APICallMeter.jobLimit { jobs[job.jobID] = job }
    }
}
