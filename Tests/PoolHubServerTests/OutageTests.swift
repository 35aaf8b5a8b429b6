import Foundation
import NIOHTTP1
import Testing

/// A redis-server of the test's own, so the test can stop and start it.
final class PrivateRedis: @unchecked Sendable {
    let port = Int.random(in: 40_000..<50_000)
    private var process: Process?
    static let binary = ProcessInfo.processInfo.environment["POOLHUB_TEST_REDIS_SERVER"] ?? "/usr/bin/redis-server"

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it accepts a connection.
        for _ in 0..<250 {
            if Self.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on \(port)"])
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

@Suite(.serialized, .enabled(if: SharedTestServers.enabled, "needs the PostgreSQL and redis-server of scripts/test.sh"))
struct OutageTests {
    @Test func redisStoppedAndStartedAgain() async throws {
        let redis = PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        var environment = try await SharedTestServers.freshEnvironment()
        environment["REDIS_URL"] = redis.url
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-outage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let hub = try await HubProcess.start(in: directory, environment: environment)
        defer { hub.stop() }

        let registered = try await hub.send(
            .POST, "/api/v1/miners/register",
            json: #"{"address": "0xbeef", "endpoint": "http://m.example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": 8}}"#)
        let token = try #require(registered.json["token"] as? String)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: token).status == 200)
        let reserving = #"{"job_type": "inference", "model": "llama3.2"}"#
        let reading = #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#
        #expect(try await hub.send(.POST, "/api/v1/match", json: reserving).status == 200)

        redis.stop()
        let health = try await hub.send(.GET, "/health")
        #expect(health.status == 503)
        #expect(health.json["status"] as? String == "degraded")
        #expect(((health.json["checks"] as? [String: Any])?["redis"] as? [String: Any])?["ok"] as? Bool == false)
        #expect(((health.json["checks"] as? [String: Any])?["database"] as? [String: Any])?["ok"] as? Bool == true)
        // Never a silent double-booking: a reserving match is refused with a time to come back.
        let refused = try await hub.send(.POST, "/api/v1/match", json: reserving)
        #expect(refused.status == 503)
        #expect(refused.headers.first(name: "Retry-After") != nil)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "unavailable")
        // Reads and non-reserving matches go on from this instance's index; heartbeats are still stored.
        let read = try await hub.send(.POST, "/api/v1/match", json: reading)
        #expect(read.status == 200)
        #expect((read.json["miners"] as? [[String: Any]])?.first?["address"] as? String == "0xbeef")
        #expect(try await hub.send(.GET, "/api/v1/miners/0xbeef").status == 200)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: token).status == 200)

        try await redis.start()
        var recovered = false
        for _ in 0..<250 where !recovered {
            recovered = try await hub.send(.GET, "/health").status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(recovered, "the hub did not recover after Redis came back")
        let again = try await hub.send(.POST, "/api/v1/match", json: reserving)
        #expect(again.status == 200)
        #expect((again.json["miners"] as? [[String: Any]])?.first?["reservation"] != nil)
        #expect(hub.process.isRunning)
    }
}
