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

/// A real SQLite store whose match-request writes hang until `release()` (a database that stopped answering).
final class StallingUsageStore: UsageStore {
    let store: SQLiteHubStore
    private let held = Mutex<[CheckedContinuation<Void, Never>]>([])
    let started = Atomic<Int>(0)

    init(_ store: SQLiteHubStore) { self.store = store }

    func release() {
        for write in held.withLock({ h in
            defer { h = [] }
            return h
        }) { write.resume() }
    }

    func addAPICalls(_ counts: [APICallCount], jobTenants: [JobTenant]) async throws {
        await withCheckedContinuation { write in
            held.withLock { $0.append(write) }
            started.add(1, ordering: .relaxed)
        }
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

/// A count that tasks share.
final class Tally: Sendable {
    private let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }
    func add() { value.add(1, ordering: .relaxed) }
}

@Suite(.timeLimit(.minutes(1))) struct APICallMeterTests {
    static func sqlite() async throws -> SQLiteHubStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-meter-\(UUID().uuidString)/hub.sqlite").path
        let sqlite = try SQLiteHubStore(path: path)
        _ = try await sqlite.migrate()
        return sqlite
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    @Test func aCountWaitsForItsWriteAtMostItsPatienceFromItsOwnArrival() async throws {
        let sqlite = try await Self.sqlite()
        let store = StallingUsageStore(sqlite)
        let clock = ManualClock(t0)
        let meter = APICallMeter(store: store, window: 3_600, defaultTenant: "default", clock: clock, logger: Self.quietLogger)
        let answered = Tally()

        // The first caller of an idle writer starts a write that never ends: it is answered at its patience, not later.
        let first = Task {
            await meter.count(tenant: "acme", jobID: nil, at: t0)
            answered.add()
        }
        #expect(await eventually { store.started.load(ordering: .relaxed) == 1 && clock.sleepers == 1 })
        clock.advance(by: 0.2)
        #expect(answered.count == 0)  // a bound, not "no wait"

        // A caller arriving 200 ms later queues behind the stalled write with a patience of its own.
        let second = Task {
            await meter.count(tenant: "acme", jobID: nil, at: t0)
            answered.add()
        }
        #expect(await eventually { meter.waiting == 2 })
        #expect(clock.sleepers == 1)  // one timer for both callers
        clock.advance(by: 0.1)  // 300 ms: the first caller's 250 ms are up, the second's not
        await first.value
        #expect(answered.count == 1)
        #expect(await eventually { clock.sleepers == 1 && meter.waiting == 1 })
        clock.advance(by: 0.2)  // 500 ms: the second's are up too
        await second.value
        #expect(answered.count == 2)

        // Nothing was lost: once the database answers, both counts are stored.
        store.release()
        #expect(await eventually { store.started.load(ordering: .relaxed) == 2 })
        store.release()
        #expect(await eventually { (try? await sqlite.usageSummary(UsageFilter(), rejectedLimit: 0).unrecordedAPICalls) == 2 })
    }

    @Test func countsWaitOutAStorageOutageWithoutHoldingMatchesUp() async throws {
        let sqlite = try await Self.sqlite()
        let store = FlakyUsageStore(sqlite)
        let clock = ManualClock(t0)
        let meter = APICallMeter(store: store, window: 3_600, defaultTenant: "default", clock: clock, logger: Self.quietLogger)

        // The first count meets the failing write and is answered anyway; later ones do not wait at all
        // (the clock never moves, so none of them is answered by its patience).
        await meter.count(tenant: "acme", jobID: "job-1", at: t0)
        for i in 0..<99 { await meter.count(tenant: i % 2 == 0 ? "acme" : nil, jobID: "job-x\(i)", at: t0) }
        #expect(try await sqlite.usageSummary(UsageFilter(), rejectedLimit: 0).unrecordedAPICalls == 0)
        #expect(store.attempts.load(ordering: .relaxed) == 1)  // the retry waits for its pause on the clock

        // Storage is back: the retry after its pause writes everything counted meanwhile, nothing lost or doubled.
        store.failing.store(false, ordering: .relaxed)
        // Asleep on the clock: the retry's pause, and the patience timer the first count started (it has no caller left).
        #expect(await eventually { clock.sleepers == 2 && meter.waiting == 0 })
        clock.advance(by: 1)
        let written = await eventually(within: .seconds(30)) {
            (try? await sqlite.usageSummary(UsageFilter(), rejectedLimit: 0).unrecordedAPICalls) == 100
        }
        #expect(written)
        #expect(try await sqlite.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 0).unrecordedAPICalls == 51)
        #expect(try await sqlite.usageSummary(UsageFilter(tenantID: "default"), rejectedLimit: 0).unrecordedAPICalls == 49)
        #expect(store.attempts.load(ordering: .relaxed) == 2)

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
