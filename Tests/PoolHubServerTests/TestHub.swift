import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PoolHubCore
import PoolHubTestSupport
@testable import PoolHubServer
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)
let coordinatorKey = "coordinator-key-1"
let adminKey = "admin-key-0001"

/// A hub on a fresh SQLite file (or, in the test script's second pass, a fresh PostgreSQL database and
/// Redis namespace) with a manual clock, and its router-level test client.
struct TestHub {
    let hub: Hub
    let clock: ManualClock

    static func make(keys: String = "", tweak: (inout HubConfiguration) -> Void = { _ in }) async throws -> TestHub {
        var environment = ["POOLHUB_API_KEYS": keys]
        environment["DATABASE_URL"] =
            "sqlite:"
            + FileManager.default.temporaryDirectory
            .appendingPathComponent("poolhub-http-\(UUID().uuidString)/hub.sqlite").path
        environment.merge(try await SharedTestServers.freshEnvironment()) { $1 }
        var configuration = try HubConfiguration.load(environment: environment)
        tweak(&configuration)
        let clock = ManualClock(t0)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return TestHub(hub: try await Hub.open(configuration, clock: clock, logger: logger), clock: clock)
    }

    /// `.live` puts a real HTTP server on a loopback port in between.
    func test<T>(_ setup: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await Application(router: buildRouter(hub)).test(setup, body)
    }
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}

/// JSON helpers for readable tests.
extension TestClientProtocol {
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil, token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields) {
        var headers = extra
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if let key { headers[.xAPIKey] = key }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let body = Data(response.body.readableBytesView)
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }

    /// Registers a miner and returns its token.
    func register(
        _ address: String, models: [String] = ["llama3.2"], gpuMemory: Int? = 16_384, slots: Int = 4, stake: Int = 0
    ) async throws -> String {
        let memory = gpuMemory.map { ", \"gpu_memory\": \($0)" } ?? ""
        let models = models.map { "\"\($0)\"" }.joined(separator: ",")
        let r = try await send(
            .post, "/api/v1/miners/register",
            json: """
                {"address": "\(address)", "endpoint": "http://\(address).example.com:8080",
                 "capabilities": {"models": [\(models)]\(memory), "max_concurrent_jobs": \(slots)}, "stake": \(stake)}
                """)
        #expect(r.status == .created)
        return try #require(r.json["token"] as? String)
    }

    func heartbeat(_ address: String, token: String, load: Int = 0, available: Bool = true) async throws -> HTTPResponse.Status {
        try await send(
            .post, "/api/v1/miners/\(address)/status", json: #"{"available": \#(available), "current_load": \#(load)}"#, token: token
        ).status
    }

    func match(_ body: String, key: String? = nil) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        let r = try await send(.post, "/api/v1/match", json: body, key: key)
        return (r.status, r.json)
    }
}

func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }
func errorFields(_ json: [String: Any]) -> [String] {
    ((json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
}
func miners(_ json: [String: Any]) -> [[String: Any]] { json["miners"] as? [[String: Any]] ?? [] }
