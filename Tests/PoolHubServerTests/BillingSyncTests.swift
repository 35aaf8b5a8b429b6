import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PoolHubCore
@testable import PoolHubServer
import PoolHubStore
import PoolHubTestSupport
import Testing

/// The outbox sync against a real HTTP server standing in for the coordinator.
@Suite struct BillingSyncTests {
    /// 1,000 completed jobs and 50 match requests; the stand-in answers 500 to a third of requests at
    /// random, holds some answers past the hub's deadline, and stops listening for a while. After
    /// recovery every event is acknowledged, kept once, and the kept amounts add up to the bill exactly.
    @Test func aThousandJobsAreBilledExactlyOnceThroughFailuresTimeoutsAndAnOutage() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        let t = try await TestHub.billing(coordinator, timeout: 0.5) { c in
            c.billing.concurrentRequests = 16
            c.billing.claimSize = 64
        }
        let dice = SeededDice(seed: 5)
        coordinator.setPolicy { request, _ in
            if request % 331 == 0 { return .acceptThenHold(.seconds(1)) }
            return dice.roll(1.0 / 3) ? .answer(500, #"{"error": "try later"}"#) : .accept
        }

        // GPU seconds in steps of 7.2 s (0.002 h, $0.001) and response times in steps of 36 ms
        // (0.00001 h, $0.000003): every amount is exact, so the bill must match to the millionth.
        // Jobs 0..<30 were matched for tenant acme; 30 acme and 20 default-tenant match requests.
        @Sendable func job(_ i: Int) -> (gpu: Double, ms: Double, miner: String) { (Double(1 + i % 50) * 7.2, Double(1 + i % 40) * 36, "m\(i % 4)") }
        var bill: [String: Decimal] = ["acme": 30 * Decimal(string: "0.0001")!, "default": 20 * Decimal(string: "0.0001")!]
        var ids: Set<String> = []
        for i in 0..<1_000 {
            bill[i < 30 ? "acme" : "default", default: 0] +=
                Decimal(1 + i % 50) * Decimal(string: "0.001")! + Decimal(1 + i % 40) * Decimal(string: "0.000003")!
            for resource in [UsageResource.gpuHours, .computeHours] {
                ids.insert(UsageEventID.job("job-\(i)", miner: MinerAddress(job(i).miner)!, resource: resource))
            }
        }
        let expected = bill
        let expectedIDs = ids
        try await t.test { client in
            try await client.onlineMiners(4)
            for i in 0..<30 {
                let r = try await client.match(
                    #"{"job_type": "inference", "model": "llama3.2", "job_id": "job-\#(i)", "tenant_id": "acme", "reserve": false}"#,
                    key: coordinatorKey)
                #expect(r.status == .ok)
            }
            for _ in 0..<20 {
                _ = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#, key: coordinatorKey)
            }
            for i in 0..<1_000 {
                #expect(try await client.report("job-\(i)", miner: job(i).miner, responseTimeMs: job(i).ms, gpuSeconds: job(i).gpu))
            }
        }
        // The match-request window (an hour) has ended: the next pass turns it into records.
        t.clock.advance(by: 2 * 3_600)

        try await t.test { client in
            // Under random failures.
            for _ in 0..<2 {
                let report = try #require(try await client.syncBilling())
                #expect(report["failed"] ?? 0 > 0)
                #expect(report["sent"] ?? 0 > 0)
                #expect(report["rejected"] == 0)
            }
            // Refused connections: a pass gives up after one failed batch, manual or scheduled.
            await coordinator.stop()
            let requestsBefore = coordinator.ledger.requests
            t.clock.advance(by: 2 * 3_600)
            let scheduled = try #require(try await t.hub.billing.run(.scheduled))
            #expect(scheduled.sent == 0 && scheduled.failed > 0 && scheduled.failed <= 64 && scheduled.pending > 0)
            let manual = try #require(try await client.syncBilling())
            #expect(manual["sent"] == 0 && manual["failed"] ?? 0 > 0)
            #expect(coordinator.ledger.requests == requestsBefore)

            // Back, still failing a third of requests: scheduled passes once each backoff is over.
            try await coordinator.listen()
            var passes = 0
            while passes < 40 {
                passes += 1
                t.clock.advance(by: 2 * 3_600)
                let report = try #require(try await t.hub.billing.run(.scheduled))
                if report.pending == 0 { break }
            }
            #expect(passes < 40, "the outbox never drained")

            let usage = try await client.billingUsage()
            #expect((usage["outbox"] as? [String: Int]) == ["pending": 0, "acknowledged": 2_002, "rejected": 0])
            #expect(money(usage["total_amount"]) == expected.values.reduce(0, +))
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("poolhub_billing_outbox_pending 0"))
            #expect(!metrics.contains("poolhub_billing_sync_errors_total 0\n"))
        }

        let ledger = coordinator.ledger
        let stored = try await t.hub.store.usageEntries(UsageFilter(), limit: 10_000)
        #expect(stored.count == 2_002)
        #expect(stored.allSatisfy { $0.state == .acknowledged })
        // Every event kept once, under the id the hub derived for it, and nothing else kept.
        #expect(Set(ledger.kept.keys) == Set(stored.map(\.record.eventID)))
        #expect(expectedIDs.isSubset(of: Set(ledger.kept.keys)))
        #expect(ledger.kept.values.filter { $0.body.isEmpty }.isEmpty)
        // Duplicates only as retries with the same key and the very same body.
        #expect(ledger.keyMismatches == 0)
        #expect(ledger.bodyMismatches == 0)
        #expect(ledger.unauthorized == 0)
        #expect(ledger.requests > 2_002, "failures forced retries")
        // The bill, to the millionth, per tenant.
        var billed: [String: Decimal] = [:]
        for usage in ledger.kept.values { billed[usage.tenantID, default: 0] += usage.amount }
        #expect(billed == expected)
    }

    /// A 422 from the coordinator leaves the record rejected, shown by /sla/billing/usage, never sent again.
    @Test func aRejectedRecordStaysRejectedVisibleAndIsNeverRetried() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        let t = try await TestHub.billing(coordinator)
        let bad = UsageEventID.job("job-bad", miner: MinerAddress("m0")!, resource: .gpuHours)
        coordinator.setPolicy { _, key in
            key == bad ? .answer(422, #"{"error": "unknown tenant"}"#) : .accept
        }
        try await t.test { client in
            try await client.onlineMiners(1)
            #expect(try await client.report("job-ok", miner: "m0", responseTimeMs: 1_800, gpuSeconds: 36))
            #expect(try await client.report("job-bad", miner: "m0", status: "failed", gpuSeconds: 72))
            let report = try #require(try await client.syncBilling())
            #expect(report == ["sent": 2, "already_acknowledged": 0, "rejected": 1, "failed": 0, "pending": 0])

            for _ in 0..<3 {
                t.clock.advance(by: 24 * 3_600)
                #expect(try await client.syncBilling() == ["sent": 0, "already_acknowledged": 0, "rejected": 0, "failed": 0, "pending": 0])
                #expect(try await t.hub.billing.run(.scheduled)?.rejected == 0)
            }
            #expect(coordinator.ledger.received[bad] == 1, "a rejected record is never sent again")

            let usage = try await client.billingUsage()
            #expect((usage["outbox"] as? [String: Int]) == ["pending": 0, "acknowledged": 2, "rejected": 1])
            let rejected = try #require(usage["rejected"] as? [[String: Any]])
            #expect(rejected.count == 1)
            #expect(rejected.first?["event_id"] as? String == bad)
            #expect(rejected.first?["status"] as? Int == 422)
            #expect((rejected.first?["error"] as? String)?.contains("unknown tenant") == true)
            #expect(rejected.first?["job_id"] as? String == "job-bad")
            #expect(rejected.first?["total_amount"] as? String == "0.01")
            // Rejected usage still counts in the totals: it was delivered, the coordinator refused it.
            let totals = try #require(usage["totals"] as? [String: [String: Any]])
            #expect(totals["gpu_hours"]?["quantity"] as? String == "0.03")
            #expect(totals["gpu_hours"]?["records"] as? Int == 2)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("poolhub_billing_sync_errors_total 1\n"))
        }
    }

    /// Manual and scheduled passes on two instances of one database, all at once: the stand-in never sees
    /// one key twice in flight, and every record is sent exactly once.
    @Test func overlappingManualAndScheduledSyncsNeverSendARecordTwiceInParallel() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        coordinator.setPolicy { _, _ in .acceptAfter(.milliseconds(5)) }
        // The default request deadline (30 s) is far beyond the stand-in's 5 ms: a timed-out request is rightly sent
        // again (the coordinator keeps it once), which this test would count as a double send.
        let t = try await TestHub.billing(coordinator) { c in c.billing.claimSize = 8 }
        let other = try await t.sibling()
        try await t.test { client in
            try await client.onlineMiners(2)
            for i in 0..<150 {
                #expect(try await client.report("job-\(i)", miner: "m\(i % 2)", responseTimeMs: 900, gpuSeconds: 12))
            }
        }
        let reports = try await t.test { client in
            try await withThrowingTaskGroup(of: BillingSync.Report?.self) { group in
                for round in 0..<2 {
                    group.addTask {
                        guard let r = try await client.syncBilling() else { return nil }
                        return BillingSync.Report(sent: r["sent"] ?? 0, alreadyAcknowledged: r["already_acknowledged"] ?? 0)
                    }
                    group.addTask { try await t.hub.billing.run(round == 0 ? .scheduled : .manual) }
                    group.addTask { try await other.billing.run(.manual) }
                    group.addTask { try await other.billing.run(.scheduled) }
                }
                return try await group.reduce(into: [BillingSync.Report]()) { if let r = $1 { $0.append(r) } }
            }
        }
        await other.close()
        let ledger = coordinator.ledger
        #expect(ledger.overlaps.isEmpty, "keys in flight twice at once: \(ledger.overlaps.prefix(5))")
        #expect(ledger.kept.count == 300)
        #expect(ledger.received.values.allSatisfy { $0 == 1 }, "every record sent exactly once")
        #expect(reports.map(\.sent).reduce(0, +) == 300)
        #expect(reports.map(\.alreadyAcknowledged).reduce(0, +) == 0)
        #expect(try await t.hub.store.pendingUsageCount() == 0)
    }
}
