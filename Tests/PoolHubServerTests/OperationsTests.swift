import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import PoolHubServer
import Testing

@Suite struct ErrorPathTests {
    @Test func malformedAndOversizedBodies() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let malformed = try await client.send(.post, "/api/v1/miners/register", json: #"{"address": "#)
            #expect(malformed.status == .badRequest)
            #expect(errorCode(malformed.json) == "malformed_request")
            let wrongType = try await client.send(
                .post, "/api/v1/match", json: "job_type=inference", headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(wrongType.status == .badRequest)
            let empty = try await client.send(.post, "/api/v1/match", json: "")
            #expect(empty.status == .badRequest)
            let huge = "{\"address\": \"" + String(repeating: "a", count: 70_000) + "\"}"
            let tooLarge = try await client.send(.post, "/api/v1/miners/register", json: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(errorCode(tooLarge.json) == "payload_too_large")
            let noRoute = try await client.send(.get, "/api/v1/nothing-here")
            #expect(noRoute.status == .notFound)
            #expect(errorCode(noRoute.json) == "not_found")
            #expect(try await client.send(.get, "/api/v1/miners/ghost").status == .notFound)
            #expect(try await client.send(.get, "/api/v1/miners/ghost/score").status == .notFound)
        }
    }

    @Test func requestIDsAreEchoedOrMade() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let echoed = try await client.send(.get, "/health", headers: [.xRequestID: "trace-123"])
            #expect(echoed.headers[.xRequestID] == "trace-123")
            let made = try await client.send(.get, "/api/v1/nothing")
            #expect((made.headers[.xRequestID] ?? "").count >= 8)
        }
    }

    /// Hostile and malformed input never yields a 5xx or a half-written record.
    @Test func hostileInputNeverYieldsA5xx() async throws {
        let t = try await TestHub.make()
        let bodies = [
            "", "null", "[]", "\"x\"", "1e999", "{\"a\":", String(repeating: "[", count: 5_000), "{\"address\": null}",
            #"{"address": "m", "endpoint": "http://x", "capabilities": {"models": ["a"], "max_concurrent_jobs": 1e300}}"#,
            #"{"address": "m", "endpoint": "http://x", "capabilities": {"models": [null], "gpu_memory": 1.5, "max_concurrent_jobs": 1}}"#,
            #"{"job_type": "i", "model": "m", "limit": 1.0000001, "exclude": "m"}"#,
            #"{"address": "\u0000", "status": "completed", "response_time_ms": 1e308, "gpu_seconds": -0.0}"#,
            "{\"job_type\": \"\u{1F600}\", \"model\": \"" + String(repeating: "é", count: 129) + "\"}",
        ]
        try await t.test { client in
            let token = try await client.register("m")
            for body in bodies {
                for path in [
                    "/api/v1/miners/register", "/api/v1/miners/m/status", "/api/v1/match", "/api/v1/jobs/j/result", "/v1/miners/register",
                    "/v1/miners/heartbeat", "/v1/match",
                ] {
                    let r = try await client.send(
                        .post, path, json: body, token: path.contains("status") || path.contains("heartbeat") ? token : nil)
                    #expect(r.status.code < 500, "\(path) \(body.prefix(40)) → \(r.status)")
                    #expect(errorCode(r.json) != nil || r.status.code < 300)
                }
            }
            let listed = try await client.send(.get, "/api/v1/miners")
            #expect(miners(listed.json).compactMap { $0["address"] as? String } == ["m"])
        }
    }
}

@Suite struct OperationsTests {
    @Test func healthStatusAndMetrics() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xabc", slots: 4)
            #expect(try await client.heartbeat("0xabc", token: token, load: 1) == .ok)
            _ = try await client.match(#"{"job_type": "inference", "model": "llama3.2"}"#)

            let health = try await client.send(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(((health.json["checks"] as? [String: Any])?["database"] as? [String: Any])?["ok"] as? Bool == true)

            let status = try await client.send(.get, "/api/v1/status")
            #expect(status.json["matches_served"] as? Int == 1)
            #expect((status.json["miners"] as? [String: Int]) == ["total": 1, "online": 1, "available": 1])
            #expect((status.json["capacity"] as? [String: Int]) == ["total_slots": 4, "used_slots": 1, "active_reservations": 1])
            let storage = status.json["storage"] as? [String: String] ?? [:]
            #expect(storage["database"] == (SharedTestServers.enabled ? "postgresql" : "sqlite"))
            #expect(storage["hot_state"] == (SharedTestServers.enabled ? "redis" : "in_process"))

            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            for name in [
                "poolhub_miners_total 1", "poolhub_miners_online 1", "poolhub_jobs_matched_total 1",
                "poolhub_match_duration_seconds_bucket", "poolhub_miner_score{address=\"0xabc\"}", "poolhub_reservations_active 1",
                "poolhub_api_requests_total{method=\"POST\",route=\"/api/v1/match\",status=\"200\"} 1",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
        }
    }

    /// Every route the router serves is in openapi.yaml, and every documented path is served.
    @Test func openAPIDocumentsEveryRoute() async throws {
        let t = try await TestHub.make()
        let documented = Set(try OpenAPIDocument.paths().keys)
        let served: Set<String> = [
            "/health", "/api/v1/status", "/metrics", "/openapi.json", "/api/v1/miners/register", "/api/v1/miners",
            "/api/v1/miners/{address}", "/api/v1/miners/{address}/status", "/api/v1/miners/{address}/score", "/api/v1/match",
            "/api/v1/miners/{address}/cordon", "/api/v1/miners/{address}/uncordon", "/api/v1/miners/{address}/drain",
            "/api/v1/miners/{address}/reset-token", "/dashboard", "/api/v1/history",
            "/api/v1/reservations/{id}", "/api/v1/jobs/{job_id}/result", "/sla/metrics", "/sla/metrics/{miner_id}",
            "/sla/metrics/collect", "/sla/violations", "/sla/capacity/snapshots", "/sla/capacity/forecast", "/sla/capacity/recommendations",
            "/v1/sla/status", "/v1/sla/metrics", "/v1/sla/metrics/{miner_id}", "/v1/sla/metrics/collect", "/v1/sla/violations",
            "/v1/sla/capacity/snapshots", "/v1/sla/capacity/forecast", "/v1/sla/capacity/recommendations",
            "/v1/miners/register", "/v1/miners/heartbeat",
            "/v1/miners/status", "/v1/match", "/v1/health",
            "/sla/billing/usage", "/sla/billing/sync", "/sla/billing/invoices", "/v1/sla/billing/usage", "/v1/sla/billing/sync",
            "/v1/sla/billing/invoices",
        ]
        #expect(documented == served)
        let routed = Set(buildRouter(t.hub).routes.map { $0.path.description })
        #expect(routed == served)
        try await t.test { client in
            let r = try await client.send(.get, "/openapi.json")
            #expect(r.json["openapi"] as? String == "3.1.0")
        }
    }

    /// Every route answers a malformed X-Request-Id with 400 (RequestIDMiddleware runs first), so every
    /// operation documents the header and the 400; a path item that is a `$ref` is checked where it points.
    @Test func everyOperationDocumentsTheRequestIdAndItsRefusal() throws {
        for (path, item) in try OpenAPIDocument.paths() {
            guard let item = item as? [String: Any], item["$ref"] == nil else { continue }
            for method in ["get", "post", "put", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let parameters = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { $0["$ref"] as? String }
                #expect(parameters.contains("#/components/parameters/RequestIdHeader"), "\(method) \(path) lacks X-Request-Id")
                #expect((operation["responses"] as? [String: Any])?["400"] != nil, "\(method) \(path) does not document 400")
            }
        }
    }
}

extension OpenAPIDocument {
    /// The document's paths, for checking routes against it.
    static func paths() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(try json())) as? [String: Any]
        return object?["paths"] as? [String: Any] ?? [:]
    }
}
