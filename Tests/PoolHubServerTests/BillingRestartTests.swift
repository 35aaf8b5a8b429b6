import Foundation
import NIOHTTP1
import PoolHubCore
import PoolHubTestSupport
import Testing

/// The real `poolhub` binary killed with SIGKILL in the middle of a billing sync (on SQLite in the
/// first test pass, on PostgreSQL + Redis in the second).
@Suite struct BillingRestartTests {
    @Test(.timeLimit(.minutes(3))) func aHubKilledMidSyncLosesNothingAndBillsNothingTwice() async throws {
        let coordinator = try await CoordinatorStandIn.start()
        defer { Task { await coordinator.stop() } }
        // The first 40 requests are answered; later ones are kept but never answered, so the hub is
        // waiting on them (until its 2 s deadline) when it is killed.
        coordinator.setPolicy { request, _ in request <= 40 ? .accept : .acceptThenHold(.seconds(60)) }
        var environment = try await SharedTestServers.freshEnvironment()
        environment["COORDINATOR_BILLING_URL"] = coordinator.url
        environment["COORDINATOR_API_KEY"] = coordinator.apiKey
        environment["BILLING_REQUEST_TIMEOUT_SECONDS"] = "2"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-billing-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var hub = try await HubProcess.start(in: directory, environment: environment)
        defer { hub.stop() }

        let registered = try await hub.send(
            .POST, "/api/v1/miners/register",
            json: #"{"address": "0xabc", "endpoint": "http://m.example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": 4}}"#)
        #expect(registered.status == 201)
        // 100 jobs, two records each: 0.01 GPU hours ($0.005) and 0.00001 compute hours ($0.000003).
        var expectedIDs: Set<String> = []
        for i in 0..<100 {
            let done = try await hub.send(
                .POST, "/api/v1/jobs/job-\(i)/result",
                json: #"{"address": "0xabc", "status": "completed", "response_time_ms": 36, "gpu_seconds": 36}"#)
            #expect(done.json["counted"] as? Bool == true)
            for resource in [UsageResource.gpuHours, .computeHours] {
                expectedIDs.insert(UsageEventID.job("job-\(i)", miner: MinerAddress("0xabc")!, resource: resource))
            }
        }

        let killed = hub
        let sync = Task { _ = try? await killed.send(.POST, "/sla/billing/sync") }
        let midway = await eventually(within: .seconds(60), every: .milliseconds(10)) { coordinator.ledger.requests > 40 }
        hub.kill9()
        _ = await sync.value
        #expect(midway, "the sync never reached the unanswered requests")
        let atKill = coordinator.ledger
        #expect(atKill.kept.count > 40 && atKill.kept.count < 200, "killed in the middle: \(atKill.kept.count) kept")

        // Started again, with a coordinator that answers: the records the dead sync held are sent again
        // once their lease ends (2 s × 5), under the same keys.
        coordinator.setPolicy { _, _ in .accept }
        hub = try await HubProcess.start(in: directory, environment: environment)
        let drained = await eventually(within: .seconds(90), every: .milliseconds(500)) {
            let answer = try? await hub.send(.POST, "/sla/billing/sync")
            return answer?.status == 200 && answer?.json["pending"] as? Int == 0
        }
        #expect(drained, "the outbox did not drain after the restart")

        let ledger = coordinator.ledger
        #expect(Set(ledger.kept.keys) == expectedIDs, "nothing lost, nothing kept under another key")
        #expect(ledger.kept.values.map(\.amount).reduce(0, +) == Decimal(string: "0.5003")!)
        #expect(ledger.afterKept.values.reduce(0, +) > 0, "events the dead hub had sent came again, as 409s")
        #expect(ledger.bodyMismatches == 0)
        #expect(ledger.keyMismatches == 0)
        let usage = try await hub.send(.GET, "/sla/billing/usage")
        #expect((usage.json["outbox"] as? [String: Int]) == ["pending": 0, "acknowledged": 200, "rejected": 0])
        #expect(usage.json["total_amount"] as? String == "0.5003")
    }
}
