import Foundation
import PoolHubTestSupport
import Testing
import NIOCore
import NIOHTTP1

/// The admin commands of the `poolhub` binary against a real running hub (both passes of scripts/test.sh).
@Suite(.serialized) struct AdminCLITests {
    static let adminKey = "admin-key-for-the-cli"

    /// Runs `poolhub ARGS` with `POOLHUB_URL` pointing at `hub` (and `environment` on top).
    func poolhub(_ arguments: [String], hub: HubProcess?, environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        var env = ["PATH": "/usr/bin:/bin"]
        if let hub { env["POOLHUB_URL"] = hub.url }
        env.merge(environment) { $1 }
        return try await runTool(HubProcess.binary.path, arguments, environment: env)
    }

    func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }

    func startHub(in directory: URL, environment: [String: String]) async throws -> HubProcess {
        try await HubProcess.start(in: directory, environment: environment.merging(["POOLHUB_API_KEYS": "admin:\(Self.adminKey)"]) { $1 })
    }

    @Test func cordonDrainAndResetTokenThroughTheCLI() async throws {
        let environment = try await SharedTestServers.freshEnvironment()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var hub = try await startHub(in: directory, environment: environment)
        defer { hub.stop() }
        let key = ["POOLHUB_API_KEY": Self.adminKey]

        let registered = try await hub.send(
            .POST, "/api/v1/miners/register",
            json:
                #"{"address": "0xc1", "endpoint": "http://c1.example.com", "capabilities": {"models": ["llama3.2"], "gpu_memory": 8192, "max_concurrent_jobs": 2}}"#
        )
        let token = try #require(registered.json["token"] as? String)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xc1/status", json: "{}", token: token).status == 200)

        // Without a key: one line, non-zero exit. With POOLHUB_API_KEY or --api-key: a table.
        let refused = try await poolhub(["miners", "list"], hub: hub)
        #expect(refused.status == 1)
        #expect(refused.output.hasPrefix("poolhub: GET /api/v1/miners?limit=500: HTTP 401 unauthorized"), "\(refused.output)")
        #expect(refused.output.split(separator: "\n").count == 1, "\(refused.output)")
        let status = try await poolhub(["status", "--api-key", Self.adminKey], hub: hub)
        #expect(status.status == 0, "\(status.output)")
        #expect(status.output.contains("1 online of 1"), "\(status.output)")
        let statusJSON = try await poolhub(["status", "--json"], hub: hub, environment: key)
        #expect(((json(statusJSON.output) as? [String: Any])?["miners"] as? [String: Any])?["online"] as? Int == 1, "\(statusJSON.output)")

        // Nothing listens there: one line, exit 1.
        let nowhere = try await poolhub(["status", "--url", "http://127.0.0.1:1"], hub: nil)
        #expect(nowhere.status == 1)
        #expect(nowhere.output.hasPrefix("poolhub: cannot reach the hub at http://127.0.0.1:1"), "\(nowhere.output)")
        let unknown = try await poolhub(["miners", "show", "0xnobody"], hub: hub, environment: key)
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("HTTP 404 not_found"), "\(unknown.output)")

        // A match that reserves, then a cordon: the reserve-free match explains the empty answer.
        let matched = try await hub.send(
            .POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "cli-1"}"#, key: Self.adminKey)
        #expect((matched.json["miners"] as? [[String: Any]])?.count == 1)
        let ranked = try await poolhub(["match", "--model", "llama3.2", "--min-gpu-memory", "4096"], hub: hub, environment: key)
        #expect(ranked.status == 0)
        #expect(ranked.output.contains("0xc1"), "\(ranked.output)")
        let cordoned = try await poolhub(["miners", "cordon", "0xc1"], hub: hub, environment: key)
        #expect(cordoned.status == 0, "\(cordoned.output)")
        #expect(cordoned.output.contains("0xc1: cordoned"), "\(cordoned.output)")
        let explained = try await poolhub(["match", "--model", "llama3.2", "--json"], hub: hub, environment: key)
        let answer = json(explained.output) as? [String: Any]
        #expect((answer?["miners"] as? [Any])?.isEmpty == true)
        #expect((answer?["rejected"] as? [String: Int])?["cordoned"] == 1, "\(explained.output)")
        let table = try await poolhub(["match", "--model", "llama3.2"], hub: hub, environment: key)
        #expect(table.output.contains("no miner fits") && table.output.contains("cordoned"), "\(table.output)")
        let list = try await poolhub(["miners", "list", "--cordoned", "--json"], hub: hub, environment: key)
        #expect((json(list.output) as? [[String: Any]])?.compactMap { $0["address"] as? String } == ["0xc1"], "\(list.output)")
        let shown = try await poolhub(["miners", "show", "0xc1"], hub: hub, environment: key)
        #expect(shown.output.contains("success_rate") && shown.output.contains("reputation"), "\(shown.output)")
        #expect(shown.output.split(separator: "\n").contains { $0.hasPrefix("cordoned") && $0.contains("yes, since") }, "\(shown.output)")

        // A drain that cannot finish in time says so and fails; one that can, shows progress and succeeds.
        let late = try await poolhub(["miners", "drain", "0xc1", "--timeout", "1", "--every", "0.2"], hub: hub, environment: key)
        #expect(late.status == 1)
        #expect(late.output.contains("waiting for 1 reservation"), "\(late.output)")
        #expect(late.output.contains("still holds 1 reservations"), "\(late.output)")
        let running = hub
        async let drained = poolhub(["miners", "drain", "0xc1", "--every", "0.2"], hub: running, environment: key)
        try await Task.sleep(for: .milliseconds(600))
        let done = #"{"address": "0xc1", "status": "completed", "response_time_ms": 800}"#
        #expect(try await hub.send(.POST, "/api/v1/jobs/cli-1/result", json: done, key: Self.adminKey).status == 200)
        let finished = try await drained
        #expect(finished.status == 0, "\(finished.output)")
        #expect(finished.output.contains("waiting for 1 reservation") && finished.output.contains("0xc1: drained"), "\(finished.output)")

        // The cordon survives a restart.
        hub.stop()
        hub = try await startHub(in: directory, environment: environment)
        let after = try await poolhub(["miners", "show", "0xc1", "--json"], hub: hub, environment: key)
        #expect(((json(after.output) as? [String: Any])?["miner"] as? [String: Any])?["cordoned"] as? Bool == true, "\(after.output)")
        let back = try await poolhub(["miners", "uncordon", "0xc1", "--json"], hub: hub, environment: key)
        #expect((json(back.output) as? [String: Any])?["cordoned"] as? Bool == false, "\(back.output)")

        // A new token: shown once, the old one stops working.
        let reset = try await poolhub(["miners", "reset-token", "0xc1", "--json"], hub: hub, environment: key)
        let newToken = try #require((json(reset.output) as? [String: Any])?["token"] as? String, "\(reset.output)")
        #expect(try await hub.send(.POST, "/api/v1/miners/0xc1/status", json: "{}", token: token).status == 401)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xc1/status", json: "{}", token: newToken).status == 200)

        // The reports read, as tables and as JSON.
        let violations = try await poolhub(["sla", "violations"], hub: hub, environment: key)
        #expect(violations.status == 0 && violations.output.contains("open violation"), "\(violations.output)")
        let usage = try await poolhub(["billing", "usage", "--json"], hub: hub, environment: key)
        #expect((json(usage.output) as? [String: Any])?["outbox"] != nil, "\(usage.output)")
        let usageTable = try await poolhub(["billing", "usage"], hub: hub, environment: key)
        #expect(usageTable.status == 0 && usageTable.output.contains("outbox:"), "\(usageTable.output)")

        // A usage error is ArgumentParser's (exit 64), not a hub call.
        #expect(try await poolhub(["miners", "cordon"], hub: hub, environment: key).status == 64)
    }
}
