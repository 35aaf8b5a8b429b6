import Foundation
import Logging
import PoolHubCore
import PoolHubStore
import Synchronization

/// Counts match requests per tenant and window for `api_calls` billing, and remembers the tenant of
/// each matched job so that its result is billed to it.
///
/// Matching is the hot path (in memory, thousands per second), so there is no write per match: the
/// counts that arrive while one write is in flight go together in the next (group commit), as one
/// upsert per tenant and window. A match is answered once the write carrying its count is stored, so a
/// killed hub loses no answered call. Billing never holds matching up for long: while a write has taken
/// more than `patience`, or the last one failed, callers stop waiting and their counts stay queued in
/// memory, written as soon as storage answers again (only a kill during a database outage loses them).
final class APICallMeter: Sendable {
    private struct Key: Hashable {
        var tenantID: String
        var window: APICallWindow
    }

    private struct State {
        var counts: [Key: Int64] = [:]
        var jobs: [String: JobTenant] = [:]
        var waiting: [CheckedContinuation<Void, Never>] = []
        var writing = false
        /// When the write in flight started.
        var writeStarted = ContinuousClock.now
        /// The last write failed: callers stop waiting until one succeeds.
        var failing = false
    }

    /// How long a match may wait for the write of its count before it is answered anyway.
    static let patience = Duration.milliseconds(250)

    /// Job tenants held in memory while storage is down, at most (beyond, a result falls back to the default tenant).
    static let jobLimit = 100_000
    private let state = Mutex(State())
    private let store: any UsageStore
    private let window: Int64
    private let defaultTenant: String
    private let logger: Logger

    init(store: any UsageStore, window: Int64, defaultTenant: String, logger: Logger) {
        self.store = store
        self.window = window
        self.defaultTenant = defaultTenant
        self.logger = logger
    }

    /// Counts one answered match request of `tenant` (nil: the default tenant) and remembers `jobID`'s
    /// tenant; returns once that is stored, or at once while storage is failing.
    func count(tenant requested: String?, jobID: String?, at now: Date) async {
        let tenant = requested ?? defaultTenant
        let key = Key(tenantID: tenant, window: APICallWindow.containing(now, length: window))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let leads = state.withLock { s -> Bool in
                s.counts[key, default: 0] += 1
                // The default tenant is the fallback anyway: no row needed.
                if let jobID, tenant != defaultTenant, s.jobs[jobID] == nil, s.jobs.count < Self.jobLimit {
                    s.jobs[jobID] = JobTenant(jobID: jobID, tenantID: tenant, matchedAt: now)
                }
                if s.failing || (s.writing && ContinuousClock.now - s.writeStarted > Self.patience) {
                    done.resume()
                } else {
                    s.waiting.append(done)
                }
                guard !s.writing else { return false }
                s.writing = true
                s.writeStarted = ContinuousClock.now
                return true
            }
            if leads { Task { await self.drain() } }
        }
    }

    /// Writes until nothing is left; while storage fails, retries with a growing pause (1 s to 30 s).
    private func drain() async {
        var pause = Duration.seconds(1)
        while true {
            let (counts, jobs, waiting) = state.withLock { s in
                let taken = (s.counts, s.jobs, s.waiting)
                s.counts = [:]
                s.jobs = [:]
                s.waiting = []
                s.writeStarted = ContinuousClock.now
                if taken.0.isEmpty && taken.1.isEmpty { s.writing = false }
                return taken
            }
            guard !counts.isEmpty || !jobs.isEmpty else {
                for done in waiting { done.resume() }
                return
            }
            do {
                try await store.addAPICalls(
                    counts.map { APICallCount(tenantID: $0.key.tenantID, window: $0.key.window, calls: $0.value) },
                    jobTenants: Array(jobs.values))
                let recovered = state.withLock { s in
                    defer { s.failing = false }
                    return s.failing
                }
                if recovered { logger.notice("match request counts are being stored again") }
                for done in waiting { done.resume() }
                pause = .seconds(1)
            } catch {
                let first = state.withLock { s in
                    for (key, calls) in counts { s.counts[key, default: 0] += calls }
                    for (job, tenant) in jobs where s.jobs[job] == nil && s.jobs.count < Self.jobLimit { s.jobs[job] = tenant }
                    defer { s.failing = true }
                    return !s.failing
                }
                for done in waiting { done.resume() }
                if first {
                    logger.warning(
                        "match request counts cannot be stored; they are kept in memory and retried",
                        metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }
}
