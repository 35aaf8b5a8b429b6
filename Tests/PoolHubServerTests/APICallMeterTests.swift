import Foundation
import Logging
import PoolHubCore
@testable import PoolHubServer
import PoolHubStore
import PoolHubTestSupport
import Synchronization
import Testing

/// A real SQLite store whose match-request writes fail while `failing` is set (a database outage).
final class FlakyUsageStore: UsageStore {
    let store: SQLiteHubStore
    let failing = Atomic<Bool>(true)
    let attempts = Atomic<Int>(0)

    init(_ store: SQLiteHubStore) { self.store = store }

    struct Outage: Error {}

    func addAPICalls(_ counts: [APICallCount], jobTenants: [JobTenant]) async throws {
        attempts.add(1, ordering: .relaxed)
        if failing.load(ordering: .relaxed) { throw Outage() }
        try await store.addAPICalls(counts, jobTenants: jobTenants)
    }
    func recordAPICalls(endedBy cutoff: Date, pricing: UsagePricing, at now: Date) async throws -> Int {
        try await store.recordAPICalls(endedBy: cutoff, pricing: pricing, at: now)
    }
    func claimUsage(_ claim: OutboxClaim) async throws -> [OutboxEntry] { try await store.claimUsage(claim) }
    func settleUsage(_ settlements: [Settlement], owner: String, at now: Date) async throws {
        try await store.settleUsage(settlements, owner: owner, at: now)
    }
    func usageSummary(_ filter: UsageFilter, rejectedLimit: Int) async throws -> UsageSummary {
        try await store.usageSummary(filter, rejectedLimit: rejectedLimit)
    }
    func usageEntries(_ filter: UsageFilter, limit: Int) async throws -> [OutboxEntry] { try await store.usageEntries(filter, limit: limit) }
    func pendingUsageCount() async throws -> Int { try await store.pendingUsageCount() }
    func forgetJobTenants(matchedBefore date: Date) async throws { try await store.forgetJobTenants(matchedBefore: date) }
}

@Suite struct APICallMeterTests {
    @Test func countsWaitOutAStorageOutageWithoutHoldingMatchesUp() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-meter-\(UUID().uuidString)/hub.sqlite").path
        let sqlite = try SQLiteHubStore(path: path)
        try await sqlite.migrate()
        let store = FlakyUsageStore(sqlite)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let meter = APICallMeter(store: store, window: 3_600, defaultTenant: "default", logger: logger)

        // The first count meets the failing write and is answered anyway; later ones do not wait at all.
        await meter.count(tenant: "acme", jobID: "job-1", at: t0)
        for i in 0..<99 { await meter.count(tenant: i % 2 == 0 ? "acme" : nil, jobID: "job-x\(i)", at: t0) }
        #expect(try await sqlite.usageSummary(UsageFilter(), rejectedLimit: 0).unrecordedAPICalls == 0)

        // Storage is back: everything counted meanwhile is written by the retry, nothing lost or doubled.
        store.failing.store(false, ordering: .relaxed)
        let written = await eventually(within: .seconds(30)) {
            (try? await sqlite.usageSummary(UsageFilter(), rejectedLimit: 0).unrecordedAPICalls) == 100
        }
        #expect(written)
        #expect(try await sqlite.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 0).unrecordedAPICalls == 51)
        #expect(try await sqlite.usageSummary(UsageFilter(tenantID: "default"), rejectedLimit: 0).unrecordedAPICalls == 49)
        #expect(store.attempts.load(ordering: .relaxed) >= 2)

        // Healthy again: a count returns once it is stored, and the job's tenant is remembered.
        await meter.count(tenant: "acme", jobID: "job-2", at: t0)
        #expect(try await sqlite.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 0).unrecordedAPICalls == 52)
        let result = JobResult(
            jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: nil, gpuSeconds: 36, error: nil,
            reportedAt: t0)
        _ = try await sqlite.insertMiner(
            Miner(
                address: MinerAddress("0xabc")!, endpoint: "http://m",
                capabilities: MinerCapabilities(models: ["x"], gpuMemory: nil, maxConcurrentJobs: 1),
                stake: 0, registeredAt: t0), credential: MinerCredential(salt: [], digest: []), stats: MinerStats(decayedAt: t0))
        _ = try await sqlite.recordResult(
            result, decay: Decay(dailyFactor: 0.95),
            usage: ResultUsage(tenantID: nil, defaultTenant: "default", pricing: UsagePricing(prices: .standard)))
        #expect(try await sqlite.usageEntries(UsageFilter(), limit: 10).map(\.record.tenantID) == ["acme"])
    }
}
