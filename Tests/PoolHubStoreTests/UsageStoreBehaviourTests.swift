import Foundation
import PoolHubCore
import PoolHubStore
import Testing

/// Usage and its outbox behave the same on every backend.
@Suite struct UsageStoreBehaviourTests {
    let pricing = UsagePricing(prices: .standard)
    let decay = Decay(dailyFactor: 0.95)

    func usage(_ tenant: String? = nil) -> ResultUsage {
        ResultUsage(tenantID: tenant, defaultTenant: "default", pricing: pricing)
    }

    /// `count` completed jobs on miner 0xabc, each billing 36 s of GPU (0.01 h) and 36 ms of compute.
    func recordJobs(_ count: Int, on store: any HubStore, from first: Int = 0) async throws {
        for i in first..<(first + count) {
            let result = JobResult(
                jobID: "job-\(i)", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 36, gpuSeconds: 36,
                error: nil, reportedAt: t0.addingTimeInterval(Double(i)))
            _ = try await store.recordResult(result, decay: decay, usage: usage())
        }
    }

    @Test(arguments: Backend.available) func resultUsageIsWrittenOnceWithTheJobsTenant(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            try await store.addAPICalls([], jobTenants: [JobTenant(jobID: "job-acme", tenantID: "acme", matchedAt: t0)])
            // A job keeps the first tenant it was matched for.
            try await store.addAPICalls([], jobTenants: [JobTenant(jobID: "job-acme", tenantID: "other", matchedAt: t0)])
            let address = MinerAddress("0xabc")!
            let matched = JobResult(
                jobID: "job-acme", address: address, outcome: .completed, responseTimeMs: 1_840, gpuSeconds: 3.2, error: nil,
                reportedAt: t0)
            guard case .recorded = try await store.recordResult(matched, decay: decay, usage: usage()) else {
                Issue.record("not recorded")
                return
            }
            // The same report again, and a conflicting one, write nothing more.
            #expect(try await store.recordResult(matched, decay: decay, usage: usage()) == .duplicate(matched))
            var conflicting = matched
            conflicting.outcome = .failed
            #expect(try await store.recordResult(conflicting, decay: decay, usage: usage()) == .conflict(matched))
            let named = JobResult(
                jobID: "job-named", address: address, outcome: .failed, responseTimeMs: nil, gpuSeconds: 72, error: "oom",
                reportedAt: t0.addingTimeInterval(1))
            _ = try await store.recordResult(named, decay: decay, usage: usage("globex"))
            let unmatched = JobResult(
                jobID: "job-own", address: address, outcome: .completed, responseTimeMs: 3_600, gpuSeconds: nil, error: nil,
                reportedAt: t0.addingTimeInterval(2))
            _ = try await store.recordResult(unmatched, decay: decay, usage: usage())
            // Without usage nothing is billed (old callers).
            _ = try await store.recordResult(
                JobResult(jobID: "job-free", address: address, outcome: .completed, responseTimeMs: 10, gpuSeconds: 10, error: nil, reportedAt: t0),
                decay: decay)

            let entries = try await store.usageEntries(UsageFilter(), limit: 100)
            let expected =
                pricing.records(for: matched, tenant: "acme") + pricing.records(for: named, tenant: "globex")
                + pricing.records(for: unmatched, tenant: "default")
            #expect(entries.map(\.record) == expected)
            #expect(entries.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.lastStatus == nil })
            #expect(try await store.pendingUsageCount() == 4)
        }
    }

    @Test(arguments: Backend.available) func matchRequestCountsBecomeRecordsWhenTheirWindowEnds(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            let window = APICallWindow.containing(t0, length: 3_600)
            let next = APICallWindow(start: window.end, length: 3_600)
            try await store.addAPICalls(
                [APICallCount(tenantID: "acme", window: window, calls: 10), APICallCount(tenantID: "globex", window: window, calls: 3)],
                jobTenants: [])
            try await store.addAPICalls(
                [APICallCount(tenantID: "acme", window: window, calls: 5), APICallCount(tenantID: "acme", window: next, calls: 7)],
                jobTenants: [])
            #expect(try await store.recordAPICalls(endedBy: window.endDate.addingTimeInterval(-1), pricing: pricing, at: t0) == 0)
            var summary = try await store.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 10)
            #expect(summary.unrecordedAPICalls == 22)
            #expect(summary.totals[.apiCalls] == nil)

            #expect(try await store.recordAPICalls(endedBy: window.endDate, pricing: pricing, at: t0) == 2)
            // Calls counted late into a recorded window get a record of their own, under another id.
            try await store.addAPICalls([APICallCount(tenantID: "acme", window: window, calls: 2)], jobTenants: [])
            #expect(try await store.recordAPICalls(endedBy: window.endDate, pricing: pricing, at: t0 + 1) == 1)
            #expect(try await store.recordAPICalls(endedBy: window.endDate, pricing: pricing, at: t0 + 2) == 0)

            let acme = try await store.usageEntries(UsageFilter(tenantID: "acme"), limit: 10).map(\.record)
            #expect(acme.map(\.quantity) == [Micros(units: 15), Micros(units: 2)])
            #expect(acme[0] == pricing.apiCallRecord(tenant: "acme", window: window, first: 1, last: 15))
            #expect(acme[1] == pricing.apiCallRecord(tenant: "acme", window: window, first: 16, last: 17))
            summary = try await store.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 10)
            #expect(summary.unrecordedAPICalls == 7)
            #expect(summary.totals[.apiCalls] == .init(records: 2, quantity: Micros(units: 17), amount: Micros(1_700)))
            // The window filter selects counts by window start.
            let later = try await store.usageSummary(UsageFilter(tenantID: "acme", from: next.startDate), rejectedLimit: 10)
            #expect(later.unrecordedAPICalls == 7)
            #expect(later.totals[.apiCalls] == nil)
            #expect(try await store.usageSummary(UsageFilter(minerID: "0xabc"), rejectedLimit: 10).unrecordedAPICalls == 0)
        }
    }

    @Test(arguments: Backend.available) func claimsLeaseRecordsAndSettlementsFollowTheLease(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            try await recordJobs(5, on: store)  // 10 records: gpu and compute of each job
            let now = t0.addingTimeInterval(100)
            let lease = now.addingTimeInterval(60)
            func claim(_ owner: String, at time: Date = now, limit: Int = 4, ignoringBackoff: Bool = false) async throws -> [String] {
                try await store.claimUsage(
                    OutboxClaim(owner: owner, now: time, leaseUntil: time.addingTimeInterval(60), limit: limit, ignoringBackoff: ignoringBackoff)
                ).map(\.record.eventID)
            }
            let a = try await claim("A")
            let b = try await claim("B")
            let c = try await claim("C")
            #expect(a.count == 4 && b.count == 4 && c.count == 2)
            #expect(Set(a + b + c).count == 10, "no record is leased twice")
            #expect(try await claim("D").isEmpty)

            // A: two acknowledged (one of them as 409), one rejected, one failed.
            let retryAt = now.addingTimeInterval(300)
            try await store.settleUsage(
                [
                    Settlement(eventID: a[0], outcome: .acknowledged(status: 201)),
                    Settlement(eventID: a[1], outcome: .acknowledged(status: 409)),
                    Settlement(eventID: a[2], outcome: .rejected(status: 422, reason: "HTTP 422: unknown tenant")),
                    Settlement(eventID: a[3], outcome: .failed(status: 503, reason: "HTTP 503", retryAt: retryAt)),
                ], owner: "A", at: now)
            // The failed record waits out its backoff, except for a sync that ignores it; the pass that
            // attempted it does not take it again.
            #expect(try await claim("D").isEmpty)
            #expect(try await claim("A", ignoringBackoff: true).isEmpty)
            #expect(try await claim("D", ignoringBackoff: true) == [a[3]])
            #expect(try await claim("E", ignoringBackoff: true).isEmpty, "D holds it now")

            // B's lease runs out before it settles: E takes its records; B's late failure no longer
            // counts, but an acknowledgement always does.
            let afterLease = lease.addingTimeInterval(1)
            let e = try await claim("E", at: afterLease, limit: 10, ignoringBackoff: true)
            #expect(Set(e) == Set(b + c + [a[3]]))
            try await store.settleUsage(
                [
                    Settlement(eventID: b[0], outcome: .failed(status: nil, reason: "timed out", retryAt: retryAt)),
                    Settlement(eventID: b[1], outcome: .rejected(status: 400, reason: "late")),
                    Settlement(eventID: b[2], outcome: .acknowledged(status: 200)),
                ], owner: "B", at: afterLease)
            let entries = Dictionary(
                uniqueKeysWithValues: try await store.usageEntries(UsageFilter(), limit: 100).map { ($0.record.eventID, $0) })
            #expect(entries[a[0]]?.state == .acknowledged)
            #expect(entries[a[0]]?.lastStatus == 201)
            #expect(entries[a[1]]?.state == .acknowledged)
            #expect(entries[a[2]]?.state == .rejected)
            #expect(entries[a[2]]?.lastError == "HTTP 422: unknown tenant")
            #expect(entries[a[2]]?.settledAt == now)
            #expect(entries[a[3]]?.state == .pending)
            #expect(entries[a[3]]?.attempts == 1)
            #expect(entries[a[3]]?.nextAttemptAt == retryAt)
            #expect(entries[b[0]]?.state == .pending)
            #expect(entries[b[0]]?.attempts == 0)
            #expect(entries[b[1]]?.state == .pending)
            #expect(entries[b[2]]?.state == .acknowledged)
            // Acknowledged and rejected records are never claimed again.
            try await store.settleUsage(e.map { Settlement(eventID: $0, outcome: .acknowledged(status: 200)) }, owner: "E", at: afterLease)
            #expect(try await claim("F", at: afterLease.addingTimeInterval(3_600), limit: 100, ignoringBackoff: true).isEmpty)
            #expect(try await store.pendingUsageCount() == 0)
        }
    }

    /// Many passes on two store instances (two hub processes) claiming at once: every record goes to exactly one.
    @Test(arguments: Backend.available) func concurrentClaimsFromTwoInstancesNeverOverlap(_ backend: Backend) async throws {
        let database = try await backend.makeDatabase()
        try await database.withStore { first in
            try await first.migrate()
            _ = try await first.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            try await recordJobs(100, on: first)
            try await database.withStore { second in
                let stores: [any HubStore] = [first, second]
                let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            var mine: [String] = []
                            while true {
                                let batch = try await stores[worker % 2].claimUsage(
                                    OutboxClaim(
                                        owner: "w\(worker)", now: t0 + 1_000, leaseUntil: t0 + 1_060, limit: 3,
                                        ignoringBackoff: false))
                                if batch.isEmpty { return mine }
                                mine += batch.map(\.record.eventID)
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                #expect(claimed.count == 200)
                #expect(Set(claimed).count == 200)
            }
        }
    }

    @Test(arguments: Backend.available) func summaryTotalsFilterAndShowRejections(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            for address in ["0xabc", "0xdef"] {
                _ = try await store.insertMiner(sampleMiner(address), credential: credential, stats: MinerStats(decayedAt: t0))
            }
            for (i, (job, miner, tenant)) in [("j1", "0xabc", "acme"), ("j2", "0xdef", "acme"), ("j3", "0xabc", "globex")].enumerated() {
                let result = JobResult(
                    jobID: job, address: MinerAddress(miner)!, outcome: .completed, responseTimeMs: 360_000, gpuSeconds: 720,
                    error: nil, reportedAt: t0.addingTimeInterval(Double(i) * 3_600))
                _ = try await store.recordResult(result, decay: decay, usage: usage(tenant))
            }
            let claimed = try await store.claimUsage(
                OutboxClaim(owner: "p", now: t0, leaseUntil: t0.addingTimeInterval(60), limit: 1, ignoringBackoff: true))
            try await store.settleUsage(
                [Settlement(eventID: claimed[0].record.eventID, outcome: .rejected(status: 422, reason: "HTTP 422: no"))], owner: "p",
                at: t0)

            let all = try await store.usageSummary(UsageFilter(), rejectedLimit: 10)
            // Each job: 0.2 GPU hours ($0.10) and 0.1 compute hours ($0.03).
            #expect(all.totals[.gpuHours] == .init(records: 3, quantity: Micros(600_000), amount: Micros(300_000)))
            #expect(all.totals[.computeHours] == .init(records: 3, quantity: Micros(300_000), amount: Micros(90_000)))
            #expect(all.outbox == [.pending: 5, .rejected: 1])
            #expect(all.rejected.map(\.record.eventID) == [claimed[0].record.eventID])
            #expect(all.rejected.first?.lastStatus == 422)

            let acme = try await store.usageSummary(UsageFilter(tenantID: "acme"), rejectedLimit: 10)
            #expect(acme.totals[.gpuHours]?.records == 2)
            let miner = try await store.usageSummary(UsageFilter(minerID: "0xabc"), rejectedLimit: 10)
            #expect(miner.totals[.gpuHours]?.records == 2)
            let both = try await store.usageSummary(UsageFilter(tenantID: "acme", minerID: "0xabc"), rejectedLimit: 10)
            #expect(both.totals[.gpuHours]?.records == 1)
            let window = try await store.usageSummary(
                UsageFilter(from: t0.addingTimeInterval(3_600), to: t0.addingTimeInterval(7_200)), rejectedLimit: 10)
            #expect(window.totals[.gpuHours]?.records == 1)
            #expect(window.totals[.computeHours]?.records == 1)
            let none = try await store.usageSummary(UsageFilter(tenantID: "nobody"), rejectedLimit: 10)
            #expect(none.totals.isEmpty && none.outbox.isEmpty && none.rejected.isEmpty)
        }
    }

    @Test(arguments: Backend.available) func oldJobTenantsAreForgotten(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            try await store.addAPICalls(
                [],
                jobTenants: [
                    JobTenant(jobID: "old", tenantID: "acme", matchedAt: t0), JobTenant(jobID: "new", tenantID: "acme", matchedAt: t0 + 10),
                ])
            try await store.forgetJobTenants(matchedBefore: t0 + 5)
            for job in ["old", "new"] {
                let result = JobResult(
                    jobID: job, address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: nil, gpuSeconds: 36,
                    error: nil, reportedAt: t0)
                _ = try await store.recordResult(result, decay: decay, usage: usage())
            }
            let tenants = try await store.usageEntries(UsageFilter(), limit: 10).map { ($0.record.jobID ?? "", $0.record.tenantID) }
            #expect(tenants.sorted { $0.0 < $1.0 }.map(\.1) == ["acme", "default"])
        }
    }
}
