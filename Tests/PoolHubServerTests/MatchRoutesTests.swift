import Foundation
import HTTPTypes
import HummingbirdTesting
import PoolHubCore
import PoolHubTestSupport
import Testing

@Suite struct MatchRoutesTests {
    @Test func twoThousandConcurrentReservingMatchesGetExactlyFourHundredSlots() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            for i in 0..<100 {
                let token = try await client.register("m\(i)", slots: 4)
                #expect(try await client.heartbeat("m\(i)", token: token) == .ok)
            }
            /// What one answer held: its first miner, whether that miner carried a reservation, and the status.
            struct Answer: Sendable {
                var status: UInt
                var first: String?
                var reserved: Bool
            }
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for i in 0..<2_000 {
                    group.addTask {
                        let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "job-\#(i)"}"#)
                        let first = miners(r.json).first
                        return Answer(status: UInt(r.status.code), first: first?["address"] as? String, reserved: first?["reservation"] != nil)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 })
            let held = answers.filter(\.reserved)
            #expect(answers.filter { $0.first != nil }.count == 400)
            #expect(held.count == 400)
            let perMiner = Dictionary(grouping: held.compactMap(\.first), by: { $0 }).mapValues(\.count)
            #expect(perMiner.count == 100 && perMiner.values.allSatisfy { $0 == 4 })
            let status = try await client.send(.get, "/api/v1/status")
            #expect((status.json["capacity"] as? [String: Any])?["active_reservations"] as? Int == 400)
        }
    }

    @Test func filtersSayWhyNothingFits() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let cpu = try await client.register("cpu", gpuMemory: nil)
            let small = try await client.register("small", gpuMemory: 4096)
            let busy = try await client.register("busy", slots: 1)
            let away = try await client.register("away")
            _ = try await client.register("silent")
            _ = try await client.register("other", models: ["mistral"])
            #expect(try await client.heartbeat("cpu", token: cpu) == .ok)
            #expect(try await client.heartbeat("small", token: small) == .ok)
            #expect(try await client.heartbeat("busy", token: busy, load: 1) == .ok)
            #expect(try await client.heartbeat("away", token: away, available: false) == .ok)
            let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "requirements": {"min_gpu_memory": 8192}}"#)
            #expect(r.status == .ok)
            #expect(miners(r.json).isEmpty)
            let rejected = try #require(r.json["rejected"] as? [String: Int])
            #expect(rejected == ["gpu_memory": 2, "at_capacity": 1, "unavailable": 1, "offline": 1, "model": 1])
        }
    }

    @Test func excludeLimitAndLatency() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            for i in 0..<5 {
                let token = try await client.register("m\(i)")
                #expect(try await client.heartbeat("m\(i)", token: token) == .ok)
            }
            let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "limit": 10, "reserve": false, "exclude": ["m0", "m1"]}"#)
            #expect(Set(miners(r.json).compactMap { $0["address"] as? String }) == ["m2", "m3", "m4"])
            #expect(miners(r.json).allSatisfy { $0["reservation"] == nil })
            let two = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "limit": 2}"#)
            #expect(miners(two.json).count == 2)
            #expect(miners(two.json)[0]["reservation"] != nil && miners(two.json)[1]["reservation"] == nil)
            // New miners are estimated at max_latency / 2 = 2500 ms.
            let strict = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "requirements": {"max_latency": 2000}}"#)
            #expect(miners(strict.json).isEmpty)
            #expect((strict.json["rejected"] as? [String: Int])?["latency"] == 5)
        }
    }

    @Test func offlineAfterTheHeartbeatTTL() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("m")
            #expect(try await client.heartbeat("m", token: token) == .ok)
            t.clock.advance(by: 44)
            #expect(miners(try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#).json).count == 1)
            t.clock.advance(by: 1)
            let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2"}"#)
            #expect(miners(r.json).isEmpty)
            #expect((r.json["rejected"] as? [String: Int]) == ["offline": 1])
        }
    }

    @Test func reservationsAreReleasedByResultDeleteOrExpiry() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("m", slots: 1)
            #expect(try await client.heartbeat("m", token: token) == .ok)
            let body = #"{"job_type": "inference", "model": "llama3.2", "job_id": "job-1"}"#
            let first = try await client.match(body)
            let id = try #require((miners(first.json).first?["reservation"] as? [String: Any])?["id"] as? String)
            // Same job again while live: same reservation.
            let retry = try await client.match(body)
            #expect((miners(retry.json).first?["reservation"] as? [String: Any])?["id"] as? String == id)
            #expect(miners(try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "job-2"}"#).json).isEmpty)

            #expect(try await client.send(.delete, "/api/v1/reservations/\(id)").status == .noContent)
            #expect(try await client.send(.delete, "/api/v1/reservations/\(id)").status == .notFound)
            #expect(try await client.send(.delete, "/api/v1/reservations/not-an-id").status == .notFound)

            let second = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "job-2"}"#)
            #expect(miners(second.json).count == 1)
            let result = #"{"address": "m", "status": "completed", "response_time_ms": 900, "gpu_seconds": 1}"#
            #expect(try await client.send(.post, "/api/v1/jobs/job-2/result", json: result).json["counted"] as? Bool == true)
            let third = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "job-3"}"#)
            #expect(miners(third.json).count == 1)

            // Expiry: RESERVATION_TTL_SECONDS (600) later the slot is free again, and a late result still counts once.
            t.clock.advance(by: 600)
            #expect(try await client.heartbeat("m", token: token) == .ok)
            #expect(miners(try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "job-4"}"#).json).count == 1)
            let late = #"{"address": "m", "status": "failed", "response_time_ms": 100}"#
            #expect(try await client.send(.post, "/api/v1/jobs/job-3/result", json: late).json["counted"] as? Bool == true)
            #expect(try await client.send(.post, "/api/v1/jobs/job-3/result", json: late).json["counted"] as? Bool == false)
            let stats = try #require(try await client.send(.get, "/api/v1/miners/m").json["stats"] as? [String: Any])
            #expect(stats["jobs_completed"] as? Int == 1)
            #expect(stats["jobs_failed"] as? Int == 1)
        }
    }

    @Test func resultsAreIdempotentAndConflictsAre409() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            _ = try await client.register("m")
            let report = #"{"address": "m", "status": "completed", "response_time_ms": 1840, "gpu_seconds": 3.2}"#
            let first = try await client.send(.post, "/api/v1/jobs/j1/result", json: report)
            #expect(first.status == .ok && first.json["counted"] as? Bool == true)
            let again = try await client.send(.post, "/api/v1/jobs/j1/result", json: report)
            #expect(again.status == .ok && again.json["counted"] as? Bool == false)
            let other = try await client.send(.post, "/api/v1/jobs/j1/result", json: #"{"address": "m", "status": "timeout"}"#)
            #expect(other.status == .conflict)
            #expect(errorCode(other.json) == "conflicting_result")
            let unknown = try await client.send(.post, "/api/v1/jobs/j1/result", json: #"{"address": "ghost", "status": "completed"}"#)
            #expect(unknown.status == .notFound)
            let bad = try await client.send(.post, "/api/v1/jobs/j1/result", json: #"{"address": 7, "status": "done", "response_time_ms": -1}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(errorFields(bad.json)) == ["address", "status", "response_time_ms"])
            let stats = try #require(try await client.send(.get, "/api/v1/miners/m").json["stats"] as? [String: Any])
            #expect(stats["jobs_completed"] as? Int == 1)
        }
    }

    @Test func matchingNeedsACoordinatorKeyWhenKeysAreSet() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client async throws in
            let body = #"{"job_type": "inference", "model": "llama3.2"}"#
            #expect(try await client.match(body).status == .unauthorized)
            #expect(try await client.match(body, key: "not-a-key-at-all").status == .unauthorized)
            #expect(try await client.match(body, key: coordinatorKey).status == .ok)
            #expect(try await client.match(body, key: adminKey).status == .ok)
            #expect(try await client.send(.get, "/api/v1/miners").status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/jobs/j/result", json: "{}").status == .unauthorized)
        }
    }

    @Test func matchRequestsAreValidated() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let r = try await client.match(
                #"{"job_type": 1, "requirements": {"min_gpu_memory": "lots", "max_latency": -5}, "limit": 51, "reserve": "yes", "exclude": ["bad addr"]}"#
            )
            #expect(r.status == .unprocessableContent)
            #expect(
                Set(errorFields(r.json)) == [
                    "job_type", "model", "requirements.min_gpu_memory", "requirements.max_latency", "limit", "reserve", "exclude[0]",
                ])
        }
    }
}
