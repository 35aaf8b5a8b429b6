import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PoolHubCore
@testable import PoolHubServer
import PoolHubTestSupport
import Testing

@Suite struct BillingRoutesTests {
    /// With no COORDINATOR_BILLING_URL usage is still recorded and shown, and status says sync is off.
    @Test func usageIsRecordedWithSyncOff() async throws {
        let t = try await TestHub.billing(nil)
        try await t.test { client in
            try await client.onlineMiners(1)
            let matched = try await client.match(
                #"{"job_type": "inference", "model": "llama3.2", "job_id": "j1", "tenant_id": "acme"}"#, key: coordinatorKey)
            #expect(miners(matched.json).first?["reservation"] != nil)
            // 7.2 s of GPU = 0.002 h ($0.001); 1,800 ms = 0.0005 h ($0.00015): billed to acme, the job's tenant.
            #expect(try await client.report("j1", miner: "m0", responseTimeMs: 1_800, gpuSeconds: 7.2))
            // Named by the report, or nobody's: globex, and the default tenant.
            #expect(try await client.report("j2", miner: "m0", responseTimeMs: 3_600, tenant: "globex"))
            #expect(try await client.report("j3", miner: "m0", status: "timeout", responseTimeMs: 9_000, gpuSeconds: 36))
            // The same report again bills nothing more.
            #expect(try await client.report("j1", miner: "m0", responseTimeMs: 1_800, gpuSeconds: 7.2) == false)

            let acme = try await client.billingUsage("?tenant_id=acme")
            let totals = try #require(acme["totals"] as? [String: [String: Any]])
            #expect(totals["gpu_hours"]?["quantity"] as? String == "0.002")
            #expect(totals["gpu_hours"]?["amount"] as? String == "0.001")
            #expect(totals["gpu_hours"]?["unit"] as? String == "hours")
            #expect(totals["compute_hours"]?["quantity"] as? String == "0.0005")
            #expect(totals["compute_hours"]?["amount"] as? String == "0.00015")
            // The match request is counted, not yet a record: its hour is still running.
            #expect(totals["api_calls"]?["quantity"] as? String == "1")
            #expect(totals["api_calls"]?["unrecorded_calls"] as? Int == 1)
            #expect(totals["api_calls"]?["records"] as? Int == 0)
            #expect(totals["api_calls"]?["amount"] as? String == "0.0001")
            #expect(acme["total_amount"] as? String == "0.00125")
            #expect((acme["outbox"] as? [String: Int]) == ["pending": 2, "acknowledged": 0, "rejected": 0])
            #expect((acme["sync"] as? [String: Any])?["enabled"] as? Bool == false)

            let globex = try await client.billingUsage("?tenant_id=globex")
            #expect(((globex["totals"] as? [String: [String: Any]])?["compute_hours"])?["quantity"] as? String == "0.001")
            let fallback = try await client.billingUsage("?tenant_id=default")
            let fallbackTotals = try #require(fallback["totals"] as? [String: [String: Any]])
            #expect(fallbackTotals["gpu_hours"]?["quantity"] as? String == "0.01", "a timed-out job's GPU time is billed")
            #expect(fallbackTotals["compute_hours"]?["records"] as? Int == 0, "compute hours only of completed jobs")
            let byMiner = try await client.billingUsage("?miner_id=m0")
            #expect((byMiner["outbox"] as? [String: Int])?["pending"] == 4)
            #expect(((byMiner["totals"] as? [String: [String: Any]])?["api_calls"])?["quantity"] as? String == "0")

            let status = try await client.send(.get, "/api/v1/status")
            let billing = try #require(status.json["billing"] as? [String: Any])
            #expect(billing["sync"] as? String == "off")
            #expect(billing["pending"] as? Int == 4)
            #expect(billing["last_sync_at"] == nil)

            let sync = try await client.send(.post, "/sla/billing/sync", key: adminKey)
            #expect(sync.status == .serviceUnavailable)
            #expect(errorCode(sync.json) == "billing_sync_off")
            let invoice = try await client.send(
                .post, "/sla/billing/invoices",
                json: #"{"tenant_id": "acme", "period_start": "2027-01-01T00:00:00Z", "period_end": "2027-02-01T00:00:00Z"}"#,
                key: adminKey)
            #expect(invoice.status == .serviceUnavailable)
            #expect(errorCode(invoice.json) == "billing_sync_off")

            // The background pass still turns the ended hour of match requests into a record.
            t.clock.advance(by: 2 * 3_600)
            #expect(try await t.hub.billing.run(.scheduled)?.pending == 5)
            let after = try await client.billingUsage("?tenant_id=acme")
            let calls = try #require((after["totals"] as? [String: [String: Any]])?["api_calls"])
            #expect(calls["records"] as? Int == 1)
            #expect(calls["unrecorded_calls"] as? Int == 0)
            #expect(calls["quantity"] as? String == "1")
        }
    }

    @Test func billingRoutesCheckRolesAndEveryBadField() async throws {
        let t = try await TestHub.billing(nil)
        try await t.test { client in
            #expect(try await client.send(.get, "/sla/billing/usage").status == .unauthorized)
            #expect(try await client.send(.get, "/sla/billing/usage", key: coordinatorKey).status == .ok)
            #expect(try await client.send(.post, "/sla/billing/sync", key: coordinatorKey).status == .forbidden)
            #expect(try await client.send(.post, "/sla/billing/invoices", json: "{}", key: coordinatorKey).status == .forbidden)

            let badTimes = try await client.send(.get, "/sla/billing/usage?from=yesterday&to=2027-13-01&tenant_id=", key: coordinatorKey)
            #expect(badTimes.status == .unprocessableContent)
            #expect(Set(errorFields(badTimes.json)) == ["from", "to", "tenant_id"])
            let backwards = try await client.send(
                .get, "/sla/billing/usage?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00.5Z", key: coordinatorKey)
            #expect(errorFields(backwards.json) == ["to"])

            let empty = try await client.send(.post, "/sla/billing/invoices", json: "{}", key: adminKey)
            #expect(empty.status == .unprocessableContent)
            #expect(Set(errorFields(empty.json)) == ["tenant_id", "period_start", "period_end"])
            let wrong = try await client.send(
                .post, "/sla/billing/invoices",
                json: #"{"tenant_id": 7, "period_start": "2027-02-01T00:00:00Z", "period_end": "2027-01-01T00:00:00Z"}"#, key: adminKey)
            #expect(Set(errorFields(wrong.json)) == ["tenant_id", "period_end"])
            #expect(try await client.send(.post, "/sla/billing/invoices", json: "[", key: adminKey).status == .badRequest)
            let result = try await client.send(
                .post, "/api/v1/jobs/j/result", json: #"{"address": "m0", "status": "completed", "tenant_id": ""}"#, key: coordinatorKey)
            #expect(errorFields(result.json) == ["tenant_id"])
        }
    }

    @Test func invoicesAreForwardedOrFailClearly() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        let t = try await TestHub.billing(coordinator)
        let body = #"{"tenant_id": "acme", "period_start": "2027-01-01T00:00:00Z", "period_end": "2027-02-01T00:00:00Z"}"#
        try await t.test { client in
            coordinator.setInvoiceAnswer(status: 201, body: #"{"invoice_id": "inv-9", "total_amount": "12.34", "currency": "USD"}"#)
            let created = try await client.send(.post, "/sla/billing/invoices", json: body, key: adminKey)
            #expect(created.status == .created)
            #expect(created.json["invoice_id"] as? String == "inv-9")
            #expect(created.json["total_amount"] as? String == "12.34")
            let asked = coordinator.ledger.invoiceRequests
            #expect(asked == [["tenant_id": "acme", "period_start": "2027-01-01T00:00:00Z", "period_end": "2027-02-01T00:00:00Z"]])
            #expect(coordinator.ledger.unauthorized == 0)

            for (status, answer) in [(500, #"{"error": "boom"}"#), (404, #"{"error": "no such tenant"}"#), (200, "<html>ok</html>")] {
                coordinator.setInvoiceAnswer(status: status, body: answer)
                let bad = try await client.send(.post, "/sla/billing/invoices", json: body, key: adminKey)
                #expect(bad.status == .badGateway)
                #expect(errorCode(bad.json) == "coordinator_error")
                #expect(((bad.json["error"] as? [String: Any])?["message"] as? String)?.contains("HTTP \(status)") == true)
            }

            await coordinator.stop()
            let down = try await client.send(.post, "/sla/billing/invoices", json: body, key: adminKey)
            #expect(down.status == .serviceUnavailable)
            #expect(errorCode(down.json) == "coordinator_unavailable")
            #expect(down.headers[.retryAfter] != nil)
        }
    }

    @Test func statusAndMetricsFollowTheSync() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        let t = try await TestHub.billing(coordinator)
        try await t.test { client in
            try await client.onlineMiners(1)
            #expect(try await client.report("j1", miner: "m0", responseTimeMs: 100, gpuSeconds: 10))
            var billing = try #require(try await client.send(.get, "/api/v1/status").json["billing"] as? [String: Any])
            #expect(billing["sync"] as? String == "on")
            #expect(billing["pending"] as? Int == 2)
            var metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("poolhub_billing_outbox_pending 2"))
            #expect(metrics.contains("poolhub_billing_sync_errors_total 0"))

            #expect(try await client.syncBilling() == ["sent": 2, "already_acknowledged": 0, "rejected": 0, "failed": 0, "pending": 0])
            let status = try await client.send(.get, "/api/v1/status").json
            billing = try #require(status["billing"] as? [String: Any])
            #expect(billing["pending"] as? Int == 0)
            #expect(billing["last_sync_at"] as? String == "2027-01-15T08:00:00Z")
            #expect(status["last_billing_sync"] as? String == "2027-01-15T08:00:00Z")
            metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("poolhub_billing_outbox_pending 0"))

            // A coordinator that lost track of a key answers 409: that is an acknowledgement too.
            #expect(try await client.report("j2", miner: "m0", gpuSeconds: 10))
            coordinator.setPolicy { _, _ in .answer(409, #"{"error": "duplicate"}"#) }
            #expect(try await client.syncBilling() == ["sent": 0, "already_acknowledged": 1, "rejected": 0, "failed": 0, "pending": 0])
        }
    }

    @Test func billingSettingsComeFromTheEnvironment() throws {
        let c = try HubConfiguration.load(environment: [
            "SCORING_CONFIG": scoringFilePath, "COORDINATOR_BILLING_URL": "http://localhost:8011/", "COORDINATOR_API_KEY": "secret",
            "BILLING_SYNC_INTERVAL_HOURS": "0.25", "BILLING_PRICE_GPU_HOURS": "1.25", "BILLING_PRICE_COMPUTE_HOURS": "0",
            "BILLING_PRICE_API_CALLS": "0.000001", "BILLING_REQUEST_TIMEOUT_SECONDS": "2.5", "BILLING_API_CALL_WINDOW_SECONDS": "300",
        ])
        #expect(c.billing.coordinatorURL == "http://localhost:8011")
        #expect(c.billing.coordinatorAPIKey == "secret")
        #expect(c.billing.syncInterval == 900)
        #expect(c.billing.prices == UsagePrices(gpuHours: Decimal(string: "1.25")!, computeHours: 0, apiCalls: Decimal(string: "0.000001")!))
        #expect(c.billing.requestTimeout == 2.5)
        #expect(c.billing.apiCallWindow == 300)
        let defaults = try HubConfiguration.load(environment: ["SCORING_CONFIG": scoringFilePath])
        #expect(defaults.billing.coordinatorURL == nil)
        #expect(defaults.billing.prices == .standard)
        #expect(defaults.billing.syncInterval == 3_600)

        let cases: [([String: String], String)] = [
            (["COORDINATOR_BILLING_URL": "localhost:8011"], "COORDINATOR_BILLING_URL"),
            (["COORDINATOR_BILLING_URL": "ftp://coordinator"], "COORDINATOR_BILLING_URL"),
            (["BILLING_SYNC_INTERVAL_HOURS": "0"], "BILLING_SYNC_INTERVAL_HOURS"),
            (["BILLING_SYNC_INTERVAL_HOURS": "hourly"], "BILLING_SYNC_INTERVAL_HOURS"),
            (["BILLING_PRICE_GPU_HOURS": "-1"], "BILLING_PRICE_GPU_HOURS"),
            (["BILLING_PRICE_COMPUTE_HOURS": "1e3"], "BILLING_PRICE_COMPUTE_HOURS"),
            (["BILLING_PRICE_API_CALLS": "0.0000001"], "BILLING_PRICE_API_CALLS"),
            (["BILLING_PRICE_API_CALLS": "0.5abc"], "BILLING_PRICE_API_CALLS"),
            (["BILLING_API_CALL_WINDOW_SECONDS": "5"], "BILLING_API_CALL_WINDOW_SECONDS"),
            (["BILLING_REQUEST_TIMEOUT_SECONDS": "0"], "BILLING_REQUEST_TIMEOUT_SECONDS"),
        ]
        for (environment, key) in cases {
            do {
                _ = try HubConfiguration.load(environment: environment)
                Issue.record("\(environment) was accepted")
            } catch {
                #expect(error.key == key)
            }
        }
    }
}
