import Foundation
import NIOHTTP1
import PoolHubTestSupport
import Testing

@Suite(.serialized, .enabled(if: SharedTestServers.enabled, "needs the PostgreSQL and redis-server of scripts/test.sh"))
struct OutageTests {
    @Test func redisStoppedAndStartedAgain() async throws {
        try await RedisServerProcess.with { redis in try await stopAndStart(redis) }
    }

    func stopAndStart(_ redis: RedisServerProcess) async throws {
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
        let recovered = await eventually { (try? await hub.send(.GET, "/health").status) == 200 }
        #expect(recovered, "the hub did not recover after Redis came back")
        let again = try await hub.send(.POST, "/api/v1/match", json: reserving)
        #expect(again.status == 200)
        #expect((again.json["miners"] as? [[String: Any]])?.first?["reservation"] != nil)
        #expect(hub.process.isRunning)
    }
}
