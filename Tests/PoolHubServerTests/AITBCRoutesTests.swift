import Foundation
import HTTPTypes
import HummingbirdTesting
import PoolHubCore
import PoolHubStore
@testable import PoolHubServer
import PoolHubTestSupport
import Testing

/// The `/v1` routes as a translation over the one registry and matcher.
@Suite struct AITBCRoutesTests {
    /// The GPU miner's captured registration and first heartbeat.
    static func registerGPUMiner(_ client: any TestClientProtocol) async throws {
        #expect(try await client.replay(Capture.first("POST /v1/miners/register", from: Capture.gpuMiner)).status == .ok)
        #expect(try await client.replay(Capture.first("POST /v1/miners/heartbeat", from: Capture.gpuMiner)).status == .ok)
    }

    static func registerCPUMiner(_ client: any TestClientProtocol) async throws {
        #expect(try await client.replay(Capture.first("POST /v1/miners/register", from: Capture.cpuMiner)).status == .ok)
        #expect(try await client.replay(Capture.first("POST /v1/miners/heartbeat", from: Capture.cpuMiner)).status == .ok)
    }

    /// Registers an AITBC miner with the captured GPU miner's body, changed as `tweak` says.
    static func register(
        _ client: any TestClientProtocol, _ tweak: (inout [String: Any]) -> Void
    ) async throws -> Answer {
        let capture = try Capture.first("POST /v1/miners/register", from: Capture.gpuMiner)
        var body = try #require(try JSONSerialization.jsonObject(with: Data(capture.body.utf8)) as? [String: Any])
        tweak(&body)
        return try await client.replay(capture, body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
    }

    @Test func aV1MinerIsMatchedThroughBothAPIs() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            // Its capabilities are its models; 79.6474609375 GiB is 81,559 MiB.
            let ours = try await client.match(
                #"{"job_type": "inference", "model": "llama", "requirements": {"min_gpu_memory": 81559}, "reserve": false}"#)
            #expect(miners(ours.json).compactMap { $0["address"] as? String } == ["gpu-miner-1"])
            let tooBig = try await client.match(#"{"job_type": "inference", "model": "llama", "requirements": {"min_gpu_memory": 81560}}"#)
            #expect(miners(tooBig.json).isEmpty)
            let theirs = try await client.send(
                .post, "/v1/match", json: #"{"job_id": "j1", "requirements": {"min_vram_gb": 79, "capabilities_any": ["llama"]}}"#)
            #expect(theirs.status == .ok)
            #expect(candidateIDs(theirs.json) == ["gpu-miner-1"])
            let candidate = try #require(candidates(theirs.json).first)
            #expect(candidate["addr"] as? String == "http://localhost:8101")
            #expect(candidate["proto"] as? String == "http")
            #expect(candidate["price"] as? String == "0.01")
            #expect(candidate["eta_ms"] as? Int == 2500)

            // Everything it declared, through our own miner view.
            let view = try await client.send(.get, "/api/v1/miners/gpu-miner-1")
            #expect(view.status == .ok)
            #expect(view.json["endpoint"] as? String == "http://localhost:8101")
            #expect(view.json["proto"] as? String == "http")
            #expect(view.json["price"] as? String == "0.01")
            #expect(view.json["region"] as? String == "localhost")
            #expect(view.json["tags"] as? [String: String] == ["platform": "CUDA", "cuda": "580.159.04"])
            let capabilities = view.json["capabilities"] as? [String: Any] ?? [:]
            #expect(capabilities["gpu_memory"] as? Int == 81_559)
            #expect(capabilities["ram_memory"] as? Int == 16_384)
            #expect(capabilities["cpu_cores"] as? Int == 2)
            #expect(capabilities["gpu_name"] as? String == "NVIDIA H100 80GB HBM3")
            #expect(capabilities["max_concurrent_jobs"] as? Int == 1)
            let status = view.json["status"] as? [String: Any] ?? [:]
            #expect(status["online"] as? Bool == true)
            #expect(status["gpu_utilization"] as? Double == 0.07)
        }
    }

    @Test func anAPIv1MinerIsMatchedThroughV1AndHeartbeatsThroughIt() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let registered = try await client.send(
                .post, "/api/v1/miners/register",
                json: """
                    {"address": "0xabc", "endpoint": "https://miner.example.com:8443", "price": "0.50",
                     "capabilities": {"models": ["llama3.2"], "gpu_memory": 16384, "ram_memory": 32768, "max_concurrent_jobs": 2}}
                    """)
            #expect(registered.status == .created)
            #expect(registered.json["price"] as? String == "0.5")
            let token = try #require(registered.json["token"] as? String)
            // Our token opens the AITBC heartbeat too: one registry, one credential.
            let beat = try await client.send(
                .post, "/v1/miners/heartbeat", json: #"{"status": "active", "current_jobs": 1, "gpu_utilization": 50}"#, token: token)
            #expect(beat.status == .ok)
            #expect(beat.json["miner_id"] as? String == "0xabc")

            let theirs = try await client.send(
                .post, "/v1/match",
                json: #"{"job_id": "j2", "requirements": {"min_vram_gb": 16, "min_ram_gb": 32, "capabilities_any": ["llama3.2"]}, "top_k": 5}"#)
            #expect(candidateIDs(theirs.json) == ["0xabc"])
            let candidate = try #require(candidates(theirs.json).first)
            #expect(candidate["addr"] as? String == "https://miner.example.com:8443")
            #expect(candidate["proto"] as? String == "https")
            #expect(candidate["price"] as? String == "0.5")
            let moreRAM = try await client.send(.post, "/v1/match", json: #"{"job_id": "j3", "requirements": {"min_ram_gb": 33}}"#)
            #expect(candidates(moreRAM.json).isEmpty)

            let ours = try await client.match(#"{"job_type": "inference", "model": "llama3.2"}"#)
            #expect(miners(ours.json).compactMap { $0["address"] as? String } == ["0xabc"])
            let view = try await client.send(.get, "/api/v1/miners/0xabc")
            #expect((view.json["status"] as? [String: Any])?["current_load"] as? Int == 1)
        }
    }

    @Test func reRegisteringWithAnotherKeyIs409AndChangesNothing() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            let hijack = try await Self.register(client) {
                $0["api_key"] = "someone-elses-key"
                $0["addr"] = "http://attacker.example.com:9"
                $0["capabilities"] = ["nothing"]
            }
            #expect(hijack.status == .conflict)
            #expect(errorCode(hijack.json) == "address_taken")

            let stored = try #require(try await t.hub.store.loadMiner(MinerAddress("gpu-miner-1")!))
            #expect(stored.miner.endpoint == "http://localhost:8101")
            #expect(stored.miner.capabilities.models.contains("llama"))
            #expect(MinerTokens.verify("gpu-secret-1", against: stored.credential))
            #expect(!MinerTokens.verify("someone-elses-key", against: stored.credential))
            let view = try await client.send(.get, "/api/v1/miners/gpu-miner-1")
            #expect(view.json["endpoint"] as? String == "http://localhost:8101")
            #expect(try await client.send(.post, "/v1/miners/heartbeat", json: "{}", token: "someone-elses-key").status == .unauthorized)
            #expect(try await client.send(.post, "/v1/miners/heartbeat", json: "{}", token: "gpu-secret-1").status == .ok)

            // With its own key the miner updates itself, and says it is not new.
            let again = try await Self.register(client) { $0["addr"] = "http://localhost:8102" }
            #expect(again.status == .ok)
            #expect(again.json["created"] as? Bool == false)
            #expect(try await t.hub.store.loadMiner(MinerAddress("gpu-miner-1")!)?.miner.endpoint == "http://localhost:8102")
        }
    }

    @Test func everyMinerNeedsItsOwnKey() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            let twin = try await Self.register(client) { $0["miner_id"] = "gpu-miner-2" }
            #expect(twin.status == .conflict)
            #expect(errorCode(twin.json) == "token_taken")
            #expect(try await client.send(.get, "/api/v1/miners/gpu-miner-2").status == .notFound)
        }
    }

    @Test func aMinerWithoutVRAMIsNeverMatchedForVRAM() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerCPUMiner(client)
            try await Self.registerGPUMiner(client)
            let sdk = try await client.replay(Capture.first("POST /v1/match", from: "JS SDK"))
            #expect(candidateIDs(sdk.json) == ["gpu-miner-1"])
            for vram in ["8", "0.5", "79"] {
                let r = try await client.send(
                    .post, "/v1/match", json: #"{"job_id": "v", "requirements": {"min_vram_gb": \#(vram)}, "top_k": 50}"#)
                #expect(!candidateIDs(r.json).contains("test-miner-1"), "min_vram_gb \(vram)")
            }
            let ours = try await client.match(
                #"{"job_type": "inference", "model": "inference", "requirements": {"min_gpu_memory": 1}, "limit": 50, "reserve": false}"#)
            #expect(miners(ours.json).compactMap { $0["address"] as? String } == ["gpu-miner-1"])
            #expect((ours.json["rejected"] as? [String: Int])?["gpu_memory"] == 1)
            // Only the memory requirement keeps it out.
            let any = try await client.send(.post, "/v1/match", json: #"{"job_id": "any", "top_k": 50}"#)
            #expect(Set(candidateIDs(any.json)) == ["gpu-miner-1", "test-miner-1"])
            let view = try await client.send(.get, "/api/v1/miners/test-miner-1")
            #expect((view.json["capabilities"] as? [String: Any])?["gpu_memory"] == nil)
        }
    }

    @Test func capabilitiesAnyTakesAnyOneAndRAMIsARequirement() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            for (id, capabilities, ram) in [("a", ["x"], 8.0), ("b", ["y"], 32), ("c", ["z"], 64), ("d", ["x", "y"], 0)] {
                let r = try await Self.register(client) {
                    $0["miner_id"] = id
                    $0["api_key"] = "key-of-\(id)-000"
                    $0["capabilities"] = capabilities
                    $0["ram_gb"] = ram
                }
                #expect(r.status == .ok && r.json["created"] as? Bool == true)
                #expect(try await client.send(.post, "/v1/miners/heartbeat", json: #"{"status": "active"}"#, token: "key-of-\(id)-000").status == .ok)
            }
            func match(_ requirements: String) async throws -> Set<String> {
                Set(
                    candidateIDs(
                        try await client.send(.post, "/v1/match", json: #"{"job_id": "j", "requirements": \#(requirements), "top_k": 50}"#).json))
            }
            #expect(try await match(#"{"capabilities_any": ["x", "y"]}"#) == ["a", "b", "d"])
            #expect(try await match(#"{"capabilities_any": ["x", "y"], "min_ram_gb": 16}"#) == ["b"])
            #expect(try await match(#"{"capabilities_any": ["z", "nothing"]}"#) == ["c"])
            #expect(try await match(#"{"capabilities_any": []}"#) == ["a", "b", "c", "d"])
            #expect(try await match(#"{"min_ram_gb": 0.0001}"#) == ["a", "b", "c"])
        }
    }

    @Test func theHeartbeatIsAStatusUpdate() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            // A GET with Content-Type: application/json and no body, as the SDK sends them.
            let own = try await client.send(
                .get, "/v1/miners/status", token: "gpu-secret-1", headers: [.contentType: "application/json"])
            #expect(own.status == .ok)
            #expect(own.json["miner_id"] as? String == "gpu-miner-1")
            #expect(own.json["address"] as? String == "gpu-miner-1")
            #expect((own.json["status"] as? [String: Any])?["available"] as? Bool == true)

            // Busy, and more jobs than it offers the pool: full and unavailable, never refused.
            let busy = try await client.send(
                .post, "/v1/miners/heartbeat", json: #"{"status": "busy", "current_jobs": 5, "gpu_utilization": 99.5}"#,
                token: "gpu-secret-1")
            #expect(busy.status == .ok)
            #expect(busy.json["miner_id"] as? String == "gpu-miner-1")
            #expect(busy.json["created"] == nil)
            let view = try await client.send(.get, "/api/v1/miners/gpu-miner-1")
            let live = view.json["status"] as? [String: Any] ?? [:]
            #expect(live["available"] as? Bool == false)
            #expect(live["current_load"] as? Int == 1)
            #expect(live["gpu_utilization"] as? Double == 0.995)
            #expect(candidates(try await client.send(.post, "/v1/match", json: #"{"job_id": "b"}"#).json).isEmpty)

            // Fields left out keep their value; it goes offline once its heartbeats stop.
            #expect(
                try await client.send(.post, "/v1/miners/heartbeat", json: #"{"status": "active", "current_jobs": 0}"#, token: "gpu-secret-1").status
                    == .ok)
            let back = try await client.send(.get, "/api/v1/miners/gpu-miner-1")
            #expect((back.json["status"] as? [String: Any])?["gpu_utilization"] as? Double == 0.995)
            #expect(candidateIDs(try await client.send(.post, "/v1/match", json: #"{"job_id": "c"}"#).json) == ["gpu-miner-1"])
            t.clock.advance(by: 46)
            #expect(candidates(try await client.send(.post, "/v1/match", json: #"{"job_id": "d"}"#).json).isEmpty)
        }
    }

    @Test func clientErrorsAre4xxInTheErrorShape() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            func expectError(
                _ r: (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields), _ status: HTTPResponse.Status, fields: [String] = [],
                sourceLocation: SourceLocation = #_sourceLocation
            ) {
                #expect(r.status == status, sourceLocation: sourceLocation)
                #expect(errorCode(r.json) != nil, sourceLocation: sourceLocation)
                #expect(Set(errorFields(r.json)) == Set(fields), sourceLocation: sourceLocation)
            }
            expectError(
                try await client.send(.post, "/v1/miners/register", json: "{}"), .unprocessableContent, fields: ["miner_id", "api_key", "addr"])
            expectError(
                try await client.send(
                    .post, "/v1/miners/register",
                    json: """
                        {"miner_id": "bad id!", "api_key": "short", "addr": "http://x y", "gpu_vram_gb": "80", "ram_gb": -1,
                         "cpu_cores": 1.5, "max_parallel": 0, "base_price": "cheap", "tags": {"a": 1}, "capabilities": "inference",
                         "region": 7, "chain_id": false, "wallet_address": [], "proto": ""}
                        """),
                .unprocessableContent,
                fields: [
                    "miner_id", "api_key", "addr", "gpu_vram_gb", "ram_gb", "cpu_cores", "max_parallel", "base_price", "tags.a",
                    "capabilities", "region", "chain_id", "wallet_address", "proto",
                ])
            expectError(try await client.send(.post, "/v1/miners/register", json: #"{"miner_id": "#), .badRequest)
            expectError(try await client.send(.post, "/v1/miners/register", json: ""), .badRequest)

            expectError(try await client.send(.post, "/v1/miners/heartbeat", json: "{}"), .unauthorized)
            expectError(try await client.send(.post, "/v1/miners/heartbeat", json: "{}", token: "not-a-key-of-anyone"), .unauthorized)
            expectError(
                try await client.send(
                    .post, "/v1/miners/heartbeat",
                    json: #"{"status": 1, "current_jobs": -1, "gpu_utilization": 250, "memory_used": "a", "network_latency_ms": -2}"#,
                    token: "gpu-secret-1"),
                .unprocessableContent, fields: ["status", "current_jobs", "gpu_utilization", "memory_used", "network_latency_ms"])
            expectError(try await client.send(.get, "/v1/miners/status"), .unauthorized)

            expectError(
                try await client.send(
                    .post, "/v1/match", json: #"{"top_k": 0, "requirements": {"min_vram_gb": "8", "capabilities_any": "x"}, "hints": {"region": 1}}"#),
                .unprocessableContent,
                fields: ["job_id", "top_k", "requirements.min_vram_gb", "requirements.capabilities_any", "hints.region"])
            expectError(try await client.send(.post, "/v1/match", json: #"{"job_id": "j", "top_k": 51}"#), .unprocessableContent, fields: ["top_k"])
        }
    }

    @Test func xApiKeyAuthenticatesLikeXAPIKey() async throws {
        let t = try await TestHub.make(keys: "coordinator:sdk-api-key")
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            let keyed = try Capture.first("POST /v1/match", from: "JS SDK")
            #expect(keyed.headers["X-Api-Key"] == "sdk-api-key")
            let answer = try await client.replay(keyed)
            #expect(answer.status == .ok)
            #expect(candidateIDs(answer.json) == ["gpu-miner-1"])
            let unkeyed = try #require(try Capture.all().first { $0.route == "POST /v1/match" && $0.headers["X-Api-Key"] == nil })
            let refused = try await client.replay(unkeyed)
            #expect(refused.status == .unauthorized)
            #expect(errorCode(refused.json) == "unauthorized")
            let bad = try await client.send(.post, "/v1/match", json: #"{"job_id": "j"}"#, headers: [HTTPField.Name("x-api-key")!: "not-our-key"])
            #expect(bad.status == .unauthorized)
            // Miners register and heartbeat without API keys, as the AITBC miner does.
            #expect(try await client.replay(Capture.first("POST /v1/miners/heartbeat", from: Capture.gpuMiner)).status == .ok)
        }
    }

    @Test func healthCountsTheMinersOnlineNow() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            #expect(try await client.replay(Capture.first("POST /v1/miners/register", from: Capture.cpuMiner)).status == .ok)
            for path in ["/health", "/v1/health"] {
                let health = try await client.send(.get, path, headers: [.contentType: "application/json"])
                #expect(health.status == .ok)
                #expect(health.json["status"] as? String == "ok")
                #expect(health.json["db"] as? Bool == true)
                #expect(health.json["redis"] as? Bool == true)
                #expect(health.json["miners_online"] as? Int == 1)
                #expect(health.json["db_error"] is NSNull)
                #expect(health.json["redis_error"] is NSNull)
                #expect((health.json["checks"] as? [String: Any])?["database"] != nil)
            }
            t.clock.advance(by: 46)
            #expect(try await client.send(.get, "/v1/health").json["miners_online"] as? Int == 0)
        }
    }

    /// `explain` is the score card of `/api/v1/miners/{address}/score` on one line.
    @Test func explainIsTheScoreBreakdown() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await Self.registerGPUMiner(client)
            let candidate = try #require(candidates(try await client.send(.post, "/v1/match", json: #"{"job_id": "e"}"#).json).first)
            let explain = try #require(candidate["explain"] as? String)
            #expect(!explain.contains("\n"))
            let score = try await client.send(.get, "/api/v1/miners/gpu-miner-1/score")
            let components = try #require(score.json["components"] as? [String: [String: Any]])
            for name in ["success_rate", "latency", "availability", "reputation"] {
                let value = try #require(components[name]?["value"] as? Double)
                let weight = try #require(components[name]?["weight"] as? Double)
                #expect(explain.contains(String(format: "\(name) %.3f×%.2f", value, weight)), "\(explain)")
            }
            let total = try #require(score.json["score"] as? Double)
            #expect(candidate["score"] as? Double == total)
            #expect(explain.hasPrefix(String(format: "score=%.4f = 1.0 × (", total)))
            #expect(explain.hasSuffix("; load 0/1"))
        }
    }
}
