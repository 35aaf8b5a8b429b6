import Foundation
import NIOHTTP1
import PoolHubTestSupport
import Testing

extension ProcessSuites {
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
            // A second instance on the same database and Redis, for the changes the first misses while Redis is down.
            let other = try await HubProcess.start(in: directory, environment: environment)
            defer { other.stop() }

            let registered = try await hub.send(
                .POST, "/api/v1/miners/register",
                json:
                    #"{"address": "0xbeef", "endpoint": "http://m.example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": 8}}"#)
            let token = try #require(registered.json["token"] as? String)
            #expect(try await hub.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: token).status == 200)
            let reserving = #"{"job_type": "inference", "model": "llama3.2"}"#
            let reading = #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#
            let held = try await hub.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "r1"}"#)
            let heldID = try #require(((held.json["miners"] as? [[String: Any]])?.first?["reservation"] as? [String: Any])?["id"] as? String)

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
            // A release cannot free the slot safely: 503 with Retry-After. A result is stored (its slot frees at expiry).
            let release = try await hub.send(.DELETE, "/api/v1/reservations/\(heldID)")
            #expect(release.status == 503)
            #expect(release.headers.first(name: "Retry-After") != nil)
            let result = try await hub.send(
                .POST, "/api/v1/jobs/r1/result", json: #"{"address": "0xbeef", "status": "completed", "response_time_ms": 900}"#)
            #expect(result.status == 200)
            #expect(result.json["counted"] as? Bool == true)
            // A miner registered through the other instance meanwhile: its announcement is lost with Redis.
            let missed = try await other.send(
                .POST, "/api/v1/miners/register",
                json: #"{"address": "0xcafe", "endpoint": "http://c.example.com", "capabilities": {"models": ["mistral"], "max_concurrent_jobs": 1}}"#
            )
            #expect(missed.status == 201)

            try await redis.start()
            let recovered = await eventually { (try? await hub.send(.GET, "/health").status) == 200 }
            #expect(recovered, "the hub did not recover after Redis came back")
            let again = try await hub.send(.POST, "/api/v1/match", json: reserving)
            #expect(again.status == 200)
            #expect((again.json["miners"] as? [[String: Any]])?.first?["reservation"] != nil)
            // The first instance read the fleet again on reconnecting: it knows the miner it missed, and the result's stats.
            let reloaded = await eventually { (try? await hub.send(.GET, "/api/v1/miners/0xcafe").status) == 200 }
            #expect(reloaded, "the miner registered during the outage never reached the other instance")
            let stats = try await hub.send(.GET, "/api/v1/miners/0xbeef").json["stats"] as? [String: Any]
            #expect(stats?["jobs_completed"] as? Int == 1)
            #expect(hub.process.isRunning)
        }
    }
}

extension ProcessSuites {
    @Suite(.serialized, .enabled(if: ThrowawayCluster.isPossible, "needs PostgreSQL 15 binaries and, as root, the pgci user"))
    struct DatabaseOutageTests {
        @Test(.timeLimit(.minutes(3))) func postgresStoppedAndStartedAgain() async throws {
            let cluster = try await ThrowawayCluster()
            defer { cluster.destroy() }
            try await cluster.start()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-pg-outage-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let hub = try await HubProcess.start(
                in: directory, environment: ["DATABASE_URL": cluster.location.url])
            defer { hub.stop() }
            let register =
                #"{"address": "0x%@", "endpoint": "http://m.example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": 2}}"#
            let first = try await hub.send(.POST, "/api/v1/miners/register", json: String(format: register, "aa"))
            let token = try #require(first.json["token"] as? String)
            #expect(try await hub.send(.POST, "/api/v1/miners/0xaa/status", json: "{}", token: token).status == 200)

            try await cluster.stop()
            // Writes are refused with a time to come back; nothing half-written, the process stays up.
            let refused = try await hub.send(.POST, "/api/v1/miners/register", json: String(format: register, "bb"))
            #expect(refused.status == 503)
            #expect(refused.headers.first(name: "Retry-After") != nil)
            #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "unavailable")
            // A heartbeat is a hot-state write: answered from memory, stored once PostgreSQL is back.
            #expect(try await hub.send(.POST, "/api/v1/miners/0xaa/status", json: "{}", token: token).status == 200)
            // Results and deregistration are writes too: refused with a time to come back, the miner still listed.
            let result = try await hub.send(.POST, "/api/v1/jobs/j1/result", json: #"{"address": "0xaa", "status": "completed"}"#)
            #expect(result.status == 503)
            #expect(result.headers.first(name: "Retry-After") != nil)
            let deregistered = try await hub.send(.DELETE, "/api/v1/miners/0xaa", token: token)
            #expect(deregistered.status == 503)
            #expect(deregistered.headers.first(name: "Retry-After") != nil)
            let health = try await hub.send(.GET, "/health")
            #expect(health.status == 503)
            #expect(((health.json["checks"] as? [String: Any])?["database"] as? [String: Any])?["ok"] as? Bool == false)
            // Reads and matching go on from memory.
            #expect(try await hub.send(.GET, "/api/v1/miners/0xaa").status == 200)
            let match = try await hub.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2"}"#)
            #expect((match.json["miners"] as? [[String: Any]])?.first?["address"] as? String == "0xaa")
            // A transition (here the miner stops taking work) must be stored at once, so it is refused.
            let stopping = try await hub.send(.POST, "/api/v1/miners/0xaa/status", json: #"{"available": false}"#, token: token)
            #expect(stopping.status == 503)
            #expect(stopping.headers.first(name: "Retry-After") != nil)

            try await cluster.start()
            let recovered = await eventually(within: .seconds(90), every: .milliseconds(250)) {
                (try? await hub.send(.POST, "/api/v1/miners/register", json: String(format: register, "bb")).status) == 201
            }
            #expect(recovered, "writes did not recover after PostgreSQL came back")
            #expect(try await hub.send(.GET, "/health").status == 200)
            // Nothing of the refused writes was half-done: the miner is still registered, its result can be reported now.
            #expect(try await hub.send(.GET, "/api/v1/miners/0xaa").status == 200)
            let late = try await hub.send(.POST, "/api/v1/jobs/j1/result", json: #"{"address": "0xaa", "status": "completed"}"#)
            #expect(late.json["counted"] as? Bool == true)
            #expect(hub.process.isRunning)
        }
    }
}
