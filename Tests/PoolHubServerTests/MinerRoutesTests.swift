import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct MinerRoutesTests {
    /// The miner object, written without JSONEncoder, carries every field the miner has, with its value, and
    /// leaves out (rather than nulls) the ones it has not; tags come in key order, escaped where they must be.
    @Test func theMinerObjectHoldsExactlyWhatTheMinerHas() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let full = try await client.send(
                .post, "/api/v1/miners/register",
                json: #"""
                    {"address": "0xfull", "endpoint": "http://full.example:1",
                     "capabilities": {"models": ["m1", "m2"], "gpu_memory": 81920, "max_concurrent_jobs": 2, "ram_memory": 65536,
                                      "cpu_cores": 32, "gpu_name": "H100 \"SXM\""},
                     "stake": 7, "region": "eu-west", "tags": {"z": "last", "a": "line\nbreak"}, "proto": "grpc",
                     "price": "0.25", "chain_id": "ait-1", "wallet_address": "ait1wallet"}
                    """#)
            #expect(full.status == .created)
            let token = try #require(full.json["token"] as? String)
            let beat = try await client.send(
                .post, "/api/v1/miners/0xfull/status", json: #"{"available": true, "current_load": 1, "gpu_utilization": 0.5, "temperature": 60}"#,
                token: token)
            #expect(beat.status == .ok)
            #expect(try await client.send(.post, "/api/v1/miners/0xfull/cordon").status == .ok)

            let raw = try await client.execute(uri: "/api/v1/miners/0xfull", method: .get) {
                String(decoding: Data($0.body.readableBytesView), as: UTF8.self)
            }
            #expect(raw.contains(#""tags":{"a":"line\u000abreak","z":"last"}"#))
            let read = try await client.send(.get, "/api/v1/miners/0xfull")
            #expect(read.status == .ok)
            let m = read.json
            #expect(
                Set(m.keys) == [
                    "address", "endpoint", "capabilities", "stake", "region", "tags", "proto", "price", "chain_id", "wallet_address",
                    "registered_at", "cordoned", "cordoned_at", "status", "standing", "score", "stats",
                ])
            #expect(m["address"] as? String == "0xfull")
            #expect(m["stake"] as? Int == 7)
            #expect(m["price"] as? String == "0.25")
            #expect(m["proto"] as? String == "grpc")
            #expect(m["chain_id"] as? String == "ait-1")
            #expect(m["wallet_address"] as? String == "ait1wallet")
            #expect(m["registered_at"] as? String == "2027-01-15T08:00:00Z")
            #expect(m["cordoned"] as? Bool == true)
            let capabilities = try #require(m["capabilities"] as? [String: Any])
            #expect(capabilities["models"] as? [String] == ["m1", "m2"])
            #expect(capabilities["gpu_memory"] as? Int == 81920)
            #expect(capabilities["ram_memory"] as? Int == 65536)
            #expect(capabilities["cpu_cores"] as? Int == 32)
            #expect(capabilities["gpu_name"] as? String == #"H100 "SXM""#)
            let status = try #require(m["status"] as? [String: Any])
            #expect(
                Set(status.keys) == ["online", "available", "current_load", "reserved", "gpu_utilization", "temperature", "last_heartbeat_at"])
            #expect(status["gpu_utilization"] as? Double == 0.5)
            #expect(status["temperature"] as? Double == 60)
            #expect(status["last_heartbeat_at"] as? String == "2027-01-15T08:00:00Z")
            #expect((m["standing"] as? [String: Any])?["state"] as? String == "good")
            #expect((m["stats"] as? [String: Any])?["jobs_completed"] as? Int == 0)

            let sparse = try await client.send(
                .post, "/api/v1/miners/register",
                json: #"{"address": "0xsparse", "endpoint": "http://sparse.example:1", "capabilities": {"models": ["m1"], "max_concurrent_jobs": 1}}"#
            )
            #expect(sparse.status == .created)
            #expect(
                Set(sparse.json.keys) == [
                    "address", "endpoint", "capabilities", "stake", "tags", "registered_at", "cordoned", "status", "standing", "score", "stats",
                    "token",
                ])
            #expect(Set((sparse.json["capabilities"] as? [String: Any] ?? [:]).keys) == ["models", "max_concurrent_jobs"])
            #expect(Set((sparse.json["status"] as? [String: Any] ?? [:]).keys) == ["online", "available", "current_load", "reserved"])
            let page = try await client.send(.get, "/api/v1/miners?limit=1")
            #expect(page.status == .ok)
            #expect((page.json["miners"] as? [[String: Any]])?.count == 1)
            #expect(page.json["next_cursor"] as? String != nil)
        }
    }

    @Test func tourRegisterStatusMatchResultScore() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let registered = try await client.send(
                .post, "/api/v1/miners/register",
                json: """
                    {"address": "0xABC", "endpoint": "http://miner.example.com:8080",
                     "capabilities": {"models": ["llama3.2", "mistral"], "gpu_memory": 16384, "max_concurrent_jobs": 4},
                     "stake": 10000, "region": "eu-west", "tags": {"gpu": "RTX 4090"}}
                    """)
            #expect(registered.status == .created)
            #expect(registered.json["address"] as? String == "0xabc")
            #expect((registered.json["status"] as? [String: Any])?["online"] as? Bool == false)
            let token = try #require(registered.json["token"] as? String)

            let beat = try await client.send(
                .post, "/api/v1/miners/0xabc/status",
                json: #"{"available": true, "current_load": 2, "gpu_utilization": 0.75, "temperature": 65}"#, token: token)
            #expect(beat.status == .ok)
            #expect(beat.json["online"] as? Bool == true)
            #expect(beat.json["next_heartbeat_s"] as? Int == 15)
            #expect(beat.json["expires_at"] as? String == "2027-01-15T08:00:45Z")

            let matched = try await client.match(
                #"{"job_type": "inference", "model": "llama3.2", "requirements": {"min_gpu_memory": 8192, "max_latency": 5000}, "job_id": "job-123"}"#
            )
            #expect(matched.status == .ok)
            let first = try #require(miners(matched.json).first)
            #expect(first["address"] as? String == "0xabc")
            #expect(first["endpoint"] as? String == "http://miner.example.com:8080")
            #expect(first["estimated_time"] as? Int == 2500)
            #expect((first["reservation"] as? [String: Any])?["id"] as? String != nil)
            #expect(matched.json["job_id"] as? String == "job-123")

            let result = try await client.send(
                .post, "/api/v1/jobs/job-123/result",
                json: #"{"address": "0xabc", "status": "completed", "response_time_ms": 1840, "gpu_seconds": 3.2, "error": null}"#)
            #expect(result.status == .ok)
            #expect(result.json["counted"] as? Bool == true)

            let score = try await client.send(.get, "/api/v1/miners/0xabc/score")
            #expect(score.status == .ok)
            let components = try #require(score.json["components"] as? [String: [String: Any]])
            #expect(Set(components.keys) == ["success_rate", "latency", "availability", "reputation"])
            let sum = components.values.compactMap { $0["contribution"] as? Double }.reduce(0, +)
            let total = try #require(score.json["score"] as? Double)
            #expect(abs(sum - total / (score.json["max_score"] as? Double ?? 1)) < 1e-9)

            let miner = try await client.send(.get, "/api/v1/miners/0xABC")
            #expect(miner.status == .ok)
            let stats = try #require(miner.json["stats"] as? [String: Any])
            #expect(stats["jobs_completed"] as? Int == 1)
            #expect(stats["avg_response_time_ms"] as? Double == 1840)
            let status = try #require(miner.json["status"] as? [String: Any])
            #expect(status["reserved"] as? Int == 0)
            #expect(status["current_load"] as? Int == 2)
            #expect(miner.json["token"] == nil)
        }
    }

    @Test func reRegistrationNeedsTheToken() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("m1")
            let body = #"{"address": "m1", "endpoint": "https://elsewhere.example.com", "capabilities": {"models": ["x"], "max_concurrent_jobs": 1}}"#
            let hijack = try await client.send(.post, "/api/v1/miners/register", json: body)
            #expect(hijack.status == .conflict)
            #expect(errorCode(hijack.json) == "address_taken")
            let wrong = try await client.send(.post, "/api/v1/miners/register", json: body, token: "phm_wrong")
            #expect(wrong.status == .conflict)
            #expect(try await client.send(.get, "/api/v1/miners/m1").json["endpoint"] as? String == "http://m1.example.com:8080")

            let update = try await client.send(.post, "/api/v1/miners/register", json: body, token: token)
            #expect(update.status == .ok)
            #expect(update.json["token"] == nil)
            #expect(update.json["endpoint"] as? String == "https://elsewhere.example.com")

            let rotate =
                #"{"address": "m1", "endpoint": "https://elsewhere.example.com", "capabilities": {"models": ["x"], "max_concurrent_jobs": 1}, "rotate_token": true}"#
            let rotated = try await client.send(.post, "/api/v1/miners/register", json: rotate, token: token)
            let newToken = try #require(rotated.json["token"] as? String)
            #expect(newToken != token)
            #expect(try await client.heartbeat("m1", token: token) == .unauthorized)
            #expect(try await client.heartbeat("m1", token: newToken) == .ok)
        }
    }

    @Test func aTokenNeverOpensAnotherMiner() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let a = try await client.register("a")
            _ = try await client.register("b")
            #expect(try await client.heartbeat("b", token: a) == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/miners/b/status", json: "{}").status == .unauthorized)
            // An API key is a real credential of the wrong principal.
            #expect(try await client.send(.post, "/api/v1/miners/b/status", json: "{}", key: coordinatorKey).status == .forbidden)
            #expect(try await client.send(.delete, "/api/v1/miners/b", token: a).status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/miners/a", token: a).status == .ok)
            #expect(try await client.send(.get, "/api/v1/miners/b", token: a).status == .unauthorized)
        }
    }

    @Test func deregistrationByTokenOrAdminOnly() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let a = try await client.register("a")
            let b = try await client.register("b")
            #expect(try await client.heartbeat("a", token: a) == .ok)
            #expect(try await client.heartbeat("b", token: b) == .ok)
            #expect(try await client.send(.delete, "/api/v1/miners/a").status == .unauthorized)
            #expect(try await client.send(.delete, "/api/v1/miners/a", key: coordinatorKey).status == .forbidden)
            #expect(try await client.send(.delete, "/api/v1/miners/a", token: a).status == .noContent)
            #expect(try await client.send(.delete, "/api/v1/miners/b", key: adminKey).status == .noContent)
            #expect(try await client.send(.delete, "/api/v1/miners/b", key: adminKey).status == .notFound)
            let m = try await client.match(#"{"job_type": "inference", "model": "llama3.2"}"#, key: coordinatorKey)
            #expect(miners(m.json).isEmpty)
            // History stays readable.
            let gone = try await client.send(.get, "/api/v1/miners/a", key: coordinatorKey)
            #expect(gone.status == .ok)
            #expect(gone.json["deregistered_at"] as? String != nil)
            #expect((gone.json["status"] as? [String: Any])?["online"] as? Bool == false)
            let listed = try await client.send(.get, "/api/v1/miners", key: coordinatorKey)
            #expect(miners(listed.json).isEmpty)
        }
    }

    /// The scheme is case-insensitive and the spaces around the token are not part of it; anything else is no bearer token.
    @Test func bearerTokensAreReadAsRFC6750Allows() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("m")
            for header in ["Bearer \(token)", "bearer \(token)", "BEARER  \(token) "] {
                let r = try await client.send(.post, "/api/v1/miners/m/status", json: "{}", headers: [.authorization: header])
                #expect(r.status == .ok, "\(header)")
            }
            for header in ["Bearer", "Bearer   ", "Basic \(token)", "Bearer\(token)", "Bearer \(token)x"] {
                let r = try await client.send(.post, "/api/v1/miners/m/status", json: "{}", headers: [.authorization: header])
                #expect(r.status == .unauthorized, "\(header)")
            }
        }
    }

    @Test func heartbeatsAreValidated() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("m", slots: 2)
            let bad = try await client.send(
                .post, "/api/v1/miners/m/status",
                json: #"{"available": "yes", "current_load": -1, "gpu_utilization": 75, "temperature": 500}"#, token: token)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(errorFields(bad.json)) == ["available", "current_load", "gpu_utilization", "temperature"])
            let over = try await client.send(.post, "/api/v1/miners/m/status", json: #"{"current_load": 3}"#, token: token)
            #expect(over.status == .unprocessableContent)
            #expect(errorFields(over.json) == ["current_load"])
            // Credentials before existence: another miner's token opens no unknown address (401, not 404).
            #expect(try await client.send(.post, "/api/v1/miners/nobody/status", json: "{}", token: token).status == .unauthorized)
        }
    }

    @Test func registrationListsEveryBadField() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let r = try await client.send(
                .post, "/api/v1/miners/register",
                json: """
                    {"address": "bad address!", "endpoint": "ftp://x", "capabilities": {"models": [], "gpu_memory": 0,
                     "max_concurrent_jobs": "4"}, "stake": -1, "tags": {"a": 1}}
                    """)
            #expect(r.status == .unprocessableContent)
            #expect(errorCode(r.json) == "invalid_fields")
            #expect(
                Set(errorFields(r.json)) == [
                    "address", "endpoint", "capabilities.models", "capabilities.gpu_memory", "capabilities.max_concurrent_jobs",
                    "stake", "tags.a",
                ])
            let missing = try await client.send(.post, "/api/v1/miners/register", json: "{}")
            #expect(Set(errorFields(missing.json)) == ["address", "endpoint", "capabilities"])
            let notObject = try await client.send(.post, "/api/v1/miners/register", json: "[1, 2]")
            #expect(notObject.status == .unprocessableContent)
        }
    }

    @Test func listingFiltersAndPages() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            for i in 0..<5 {
                let token = try await client.register("m\(i)", models: i % 2 == 0 ? ["llama3.2"] : ["mistral"])
                if i < 3 { #expect(try await client.heartbeat("m\(i)", token: token) == .ok) }
            }
            let page1 = try await client.send(.get, "/api/v1/miners?limit=2")
            #expect(miners(page1.json).compactMap { $0["address"] as? String } == ["m0", "m1"])
            let cursor = try #require(page1.json["next_cursor"] as? String)
            let page2 = try await client.send(.get, "/api/v1/miners?limit=2&cursor=\(cursor)")
            #expect(miners(page2.json).compactMap { $0["address"] as? String } == ["m2", "m3"])
            let llama = try await client.send(.get, "/api/v1/miners?model=llama3.2&online=true")
            #expect(miners(llama.json).compactMap { $0["address"] as? String } == ["m0", "m2"])
            let bad = try await client.send(.get, "/api/v1/miners?limit=0&online=maybe")
            #expect(bad.status == .unprocessableContent)
            #expect(Set(errorFields(bad.json)) == ["limit", "online"])
        }
    }
}
