import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Cordon, uncordon, drain and reset-token through the API (both passes: SQLite, then PostgreSQL + Redis).
@Suite struct OperatorRoutesTests {
    static let llama = #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#

    @Test func aCordonedMinerHeartbeatsButIsNeverMatchedAndIsCountedAsCordoned() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let token = try await client.register("0xa1")
            _ = try await client.register("0xb2")
            #expect(try await client.heartbeat("0xa1", token: token) == .ok)

            // Only an admin key cordons; a coordinator key is refused, no key is unauthorised.
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/cordon").status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/cordon", key: coordinatorKey).status == .forbidden)
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/cordon", token: token).status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/miners/0xnobody/cordon", key: adminKey).status == .notFound)

            let cordoned = try await client.send(.post, "/api/v1/miners/0xa1/cordon", key: adminKey)
            #expect(cordoned.status == .ok)
            #expect(cordoned.json["cordoned"] as? Bool == true)
            let since = try #require(cordoned.json["cordoned_at"] as? String)
            // Again: nothing changes, the first time stays.
            let again = try await client.send(.post, "/api/v1/miners/0xa1/cordon", key: adminKey)
            #expect(again.json["cordoned_at"] as? String == since)

            // Still heartbeating and online, never matched; counted under `cordoned`.
            #expect(try await client.heartbeat("0xa1", token: token) == .ok)
            let matched = try await client.match(Self.llama, key: coordinatorKey)
            #expect(miners(matched.json).isEmpty)
            #expect((matched.json["rejected"] as? [String: Int])?["cordoned"] == 1)
            let view = try await client.send(.get, "/api/v1/miners/0xa1", key: coordinatorKey)
            #expect(view.json["cordoned"] as? Bool == true)
            #expect((view.json["status"] as? [String: Any])?["online"] as? Bool == true)

            let listed = try await client.send(.get, "/api/v1/miners?cordoned=true", key: coordinatorKey)
            #expect(miners(listed.json).compactMap { $0["address"] as? String } == ["0xa1"])
            let free = try await client.send(.get, "/api/v1/miners?cordoned=false", key: coordinatorKey)
            #expect(miners(free.json).compactMap { $0["address"] as? String } == ["0xb2"])
            #expect(try await client.send(.get, "/api/v1/miners?cordoned=maybe", key: coordinatorKey).status == .unprocessableContent)

            let uncordoned = try await client.send(.post, "/api/v1/miners/0xa1/uncordon", key: adminKey)
            #expect(uncordoned.status == .ok)
            #expect(uncordoned.json["cordoned"] as? Bool == false)
            #expect(miners(try await client.match(Self.llama, key: coordinatorKey).json).first?["address"] as? String == "0xa1")
        }
    }

    @Test func aReRegistrationKeepsTheCordon() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa1")
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/cordon").status == .ok)
            let again = try await client.send(
                .post, "/api/v1/miners/register",
                json:
                    #"{"address": "0xa1", "endpoint": "http://a1.example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": 2}}"#,
                token: token)
            #expect(again.status == .ok)
            #expect(again.json["cordoned"] as? Bool == true)
        }
    }

    @Test func aDrainCordonsAndReportsTheReservationsLeft() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa1")
            #expect(try await client.heartbeat("0xa1", token: token) == .ok)
            let reserved = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "j1"}"#)
            #expect(miners(reserved.json).count == 1)

            let draining = try await client.send(.post, "/api/v1/miners/0xa1/drain")
            #expect(draining.status == .ok)
            #expect(draining.json["cordoned"] as? Bool == true)
            #expect(draining.json["reservations"] as? Int == 1)
            #expect(draining.json["drained"] as? Bool == false)
            #expect(miners(try await client.match(Self.llama).json).isEmpty)

            let done = #"{"address": "0xa1", "status": "completed", "response_time_ms": 900}"#
            #expect(try await client.send(.post, "/api/v1/jobs/j1/result", json: done).status == .ok)
            let drained = try await client.send(.post, "/api/v1/miners/0xa1/drain")
            #expect(drained.json["reservations"] as? Int == 0)
            #expect(drained.json["drained"] as? Bool == true)
        }
    }

    @Test func resetTokenIssuesANewTokenAndTheOldOneStopsWorking() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let old = try await client.register("0xa1")
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/reset-token", key: coordinatorKey).status == .forbidden)
            // The miner's own token cannot reset it either: a lost token is the case this is for.
            #expect(try await client.send(.post, "/api/v1/miners/0xa1/reset-token", token: old).status == .unauthorized)
            let reset = try await client.send(.post, "/api/v1/miners/0xa1/reset-token", key: adminKey)
            #expect(reset.status == .ok)
            #expect(reset.json["address"] as? String == "0xa1")
            let new = try #require(reset.json["token"] as? String)
            #expect(new != old)
            #expect(try await client.heartbeat("0xa1", token: old) == .unauthorized)
            #expect(try await client.heartbeat("0xa1", token: new) == .ok)
            // The new token is shown once: reads never carry it.
            #expect(try await client.send(.get, "/api/v1/miners/0xa1", key: adminKey).json["token"] == nil)
            #expect(try await client.send(.post, "/api/v1/miners/0xnobody/reset-token", key: adminKey).status == .notFound)
        }
    }

    @Test func aDeregisteredMinerCannotBeCordoned() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xa1")
            #expect(try await client.send(.delete, "/api/v1/miners/0xa1", token: token).status == .noContent)
            for action in ["cordon", "uncordon", "drain", "reset-token"] {
                #expect(try await client.send(.post, "/api/v1/miners/0xa1/\(action)").status == .notFound, "\(action)")
            }
        }
    }
}
