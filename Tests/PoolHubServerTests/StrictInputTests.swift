// Strict input: unknown requirement keys and query parameters, credentials before existence, X-Request-Id.

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PoolHubServer

@Suite struct StrictInputTests {
    static let keys = "coordinator:coord-key-1,admin:admin-key-1"

    @Test func anUnknownRequirementIsRefusedByName() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa1")
            #expect(try await client.heartbeat("0xa1", token: token) == .ok)
            let refused = try await client.match(
                #"{"job_type": "inference", "model": "llama3.2", "requirements": {"min_gpu_memory": 1024, "max_wattage": 300}}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(errorFields(refused.json) == ["requirements.max_wattage"])
            // Nothing was reserved by the refused match.
            let fine = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "requirements": {"min_gpu_memory": 1024}}"#)
            #expect(fine.status == .ok)
            #expect((miners(fine.json).first?["reservation"] as? [String: Any]) != nil)
        }
    }

    @Test func anUnknownQueryParameterIsRefusedByNameOnEveryRoute() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa2")
            for path in [
                "/api/v1/miners?model=llama3.2&max_price=1", "/api/v1/miners/0xa2?max_price=1", "/health?max_price=1",
                "/sla/violations?resolved=true&max_price=1", "/sla/billing/usage?max_price=1",
            ] {
                let r = try await client.send(.get, path)
                #expect(r.status == .unprocessableContent, "\(path)")
                #expect(errorFields(r.json) == ["max_price"], "\(path)")
            }
            // Declared parameters still pass.
            #expect(try await client.send(.get, "/api/v1/miners?model=llama3.2&limit=5").status == .ok)
            #expect(try await client.send(.post, "/api/v1/miners/0xa2/status?x=1", json: "{}", token: token).status == .unprocessableContent)
        }
    }

    @Test func credentialsAreCheckedBeforeExistence() async throws {
        let t = try await TestHub.make(keys: Self.keys)
        try await t.test { client in
            let token = try await client.register("0xa3")
            for (method, path) in [
                (HTTPRequest.Method.delete, "/api/v1/miners/0xunknown"), (.get, "/api/v1/miners/0xunknown"),
                (.get, "/api/v1/miners/0xunknown/score"), (.delete, "/api/v1/miners/not%20an%20address"),
            ] {
                // No credential, a wrong key, a miner's token for another address: never 204 or 404.
                #expect(try await client.send(method, path).status == .unauthorized, "\(method) \(path)")
                #expect(try await client.send(method, path, key: "wrong-key-123").status == .unauthorized, "\(method) \(path)")
                #expect(try await client.send(method, path, token: token).status == .unauthorized, "\(method) \(path)")
            }
            #expect(try await client.send(.post, "/api/v1/miners/0xunknown/status", json: "{}").status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/miners/0xunknown/status", json: "{}", token: token).status == .unauthorized)
            // A coordinator may not deregister (403), known miner or not; an admin learns that it does not exist.
            #expect(try await client.send(.delete, "/api/v1/miners/0xunknown", key: "coord-key-1").status == .forbidden)
            #expect(try await client.send(.delete, "/api/v1/miners/0xa3", key: "coord-key-1").status == .forbidden)
            #expect(try await client.send(.delete, "/api/v1/miners/0xunknown", key: "admin-key-1").status == .notFound)
            #expect(try await client.send(.get, "/api/v1/miners/0xunknown", key: "coord-key-1").status == .notFound)
            // Roles: a miner's token opens none of the coordinator's routes.
            let coordinatorRoutes: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/api/v1/match", #"{"job_type": "inference", "model": "llama3.2"}"#), (.get, "/api/v1/miners", nil),
                (.post, "/api/v1/jobs/j1/result", #"{"address": "0xa3", "status": "completed"}"#),
                (.delete, "/api/v1/reservations/00000000-0000-0000-0000-000000000000", nil), (.get, "/sla/violations", nil),
            ]
            for (method, path, json) in coordinatorRoutes {
                #expect(try await client.send(method, path, json: json, token: token).status == .unauthorized, "\(method) \(path)")
            }
            // The miner itself, with its token, still deregisters.
            #expect(try await client.send(.delete, "/api/v1/miners/0xa3", token: token).status == .noContent)
        }
    }

    @Test func aMalformedRequestIDIsRefusedAsTheContractSays() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let sane = try await client.send(.get, "/health", headers: [.xRequestID: "req-1"])
            #expect(sane.headers[.xRequestID] == "req-1")
            for bad in [String(repeating: "a", count: 129), "has space", "tab\there"] {
                let r = try await client.send(.get, "/health", headers: [.xRequestID: bad])
                #expect(r.status == .badRequest, "\(bad)")
                #expect(errorCode(r.json) == "invalid_request_id")
                #expect(r.headers[.xRequestID].map { !$0.isEmpty && $0 != bad } == true)
            }
        }
    }

    /// Every route of the contract that takes a body refuses one over 64 KiB with 413, before reading it as JSON.
    @Test func everyRouteWithABodyRefusesOneTooLarge() async throws {
        let document = try OpenAPIDocument.dictionary()
        let paths = try #require(document["paths"] as? [String: Any])
        var routes: [(HTTPRequest.Method, String)] = []
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            for (method, operation) in item {
                guard let operation = operation as? [String: Any], operation["requestBody"] != nil else { continue }
                let concrete = path.replacingOccurrences(of: "{address}", with: "0xa4").replacingOccurrences(of: "{job_id}", with: "j1")
                routes.append((HTTPRequest.Method(rawValue: method.uppercased())!, concrete))
            }
        }
        #expect(routes.count >= 6)
        let bodyRoutes = routes
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa4")
            let huge = "{\"padding\": \"" + String(repeating: "a", count: 70_000) + "\"}"
            for (method, path) in bodyRoutes {
                let r = try await client.send(method, path, json: huge, token: token)
                #expect(r.status == .contentTooLarge, "\(method) \(path)")
                #expect(errorCode(r.json) == "payload_too_large", "\(method) \(path)")
            }
        }
    }

    /// Times are RFC 3339 with every field in range: Foundation's parser alone would roll minute 99 over into the next hour.
    @Test func timesOutOfRangeAreRefused() {
        for good in ["2026-05-01T00:00:00Z", "2026-05-01T00:00:00.125Z", "2024-02-29T23:59:59+02:00", "0045-01-01T01:01:02Z"] {
            #expect(RFC3339.date(good) != nil, "\(good)")
        }
        for bad in [
            "2024-01-01T12:99:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-05-01T24:00:00Z", "2026-04-31T00:00:00Z",
            "2026-05-01T00:00:61Z", "2026-05-01T00:00:00", "2026-05-01T00:00:00+25:00", "2026-05-01T00:00:00.Z", "2026-05-01",
        ] {
            #expect(RFC3339.date(bad) == nil, "\(bad)")
        }
    }
}
