import Foundation
import HTTPTypes
import HummingbirdTesting
import PoolHubCore
import PoolHubLive
import PoolHubStore
import PoolHubTestSupport
@testable import PoolHubServer
import Testing

/// Probation end to end on the manual clock: slow results suspend, the suspension expires, a bad probation
/// result suspends again for twice as long, good ones restore good standing. On the second pass of
/// scripts/test.sh the hub stores the standing in PostgreSQL and follows it through Redis.
@Suite struct ProbationRoutesTests {
    /// Times as the views write them (whole seconds: the manual clock starts on one).
    func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    func result(_ client: any TestClientProtocol, job: String, _ status: String, ms: Int? = nil) async throws {
        let time = ms.map { #", "response_time_ms": \#($0)"# } ?? ""
        let r = try await client.send(
            .post, "/api/v1/jobs/\(job)/result", json: #"{"address": "slow", "status": "\#(status)"\#(time)}"#)
        #expect(r.status == .ok)
    }

    func standing(_ client: any TestClientProtocol) async throws -> [String: Any] {
        let miner = try await client.send(.get, "/api/v1/miners/slow")
        let score = try await client.send(.get, "/api/v1/miners/slow/score")
        let standing = try #require(miner.json["standing"] as? [String: Any])
        #expect((score.json["standing"] as? [String: Any])?["state"] as? String == standing["state"] as? String)
        return standing
    }

    @Test func slowResultsSuspendAndProbationRestoresOrSuspendsForLonger() async throws {
        // The clock jumps hours between heartbeats: availability would hold both miners back otherwise.
        let t = try await TestHub.make { $0.scoring.thresholds.minAvailability = 0 }
        try await t.test { client in
            let slow = try await client.register("slow", stake: 100_000)
            let steady = try await client.register("steady")
            func beat() async throws {
                #expect(try await client.heartbeat("slow", token: slow) == .ok)
                #expect(try await client.heartbeat("steady", token: steady) == .ok)
            }
            func matched() async throws -> (addresses: [String], rejected: [String: Int]) {
                let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#)
                return (miners(r.json).compactMap { $0["address"] as? String }, r.json["rejected"] as? [String: Int] ?? [:])
            }
            try await beat()
            #expect(try await standing(client)["state"] as? String == "good")
            for i in 0..<10 { try await result(client, job: "slow-\(i)", "completed", ms: 9_000) }

            // Suspended for suspension_seconds (1800).
            var s = try await standing(client)
            #expect(s["state"] as? String == "suspended")
            #expect(s["until"] as? String == iso(t.clock.now().addingTimeInterval(1_800)))
            #expect(s["probation_jobs"] as? Int == 3)
            var m = try await matched()
            #expect(m.addresses == ["steady"])
            #expect(m.rejected["suspended"] == 1)

            // The suspension expires by time alone: probation, ranked after the miner in good standing.
            t.clock.advance(by: 1_801)
            try await beat()
            #expect(try await standing(client)["state"] as? String == "probation")
            m = try await matched()
            #expect(m.addresses == ["steady", "slow"])
            #expect(m.rejected["suspended"] == nil)

            // A failed probation job: suspended again, for twice as long (a repeat within a day).
            try await result(client, job: "probation-1", "failed")
            s = try await standing(client)
            #expect(s["state"] as? String == "suspended")
            #expect(s["until"] as? String == iso(t.clock.now().addingTimeInterval(3_600)))
            t.clock.advance(by: 3_599)
            try await beat()
            #expect(try await matched().rejected["suspended"] == 1)
            t.clock.advance(by: 2)
            try await beat()
            #expect(try await matched().addresses == ["steady", "slow"])
            try await result(client, job: "probation-2", "timeout")
            s = try await standing(client)
            #expect(s["until"] as? String == iso(t.clock.now().addingTimeInterval(7_200)))

            // Three good probation jobs: good standing, the slow history forgiven (mean at half max_latency).
            t.clock.advance(by: 7_201)
            try await beat()
            for i in 0..<3 {
                #expect(try await standing(client)["probation_jobs"] as? Int == 3 - i)
                try await result(client, job: "good-\(i)", "completed", ms: 800)
            }
            #expect(try await standing(client)["state"] as? String == "good")
            let miner = try await client.send(.get, "/api/v1/miners/slow")
            let mean = try #require((miner.json["stats"] as? [String: Any])?["avg_response_time_ms"] as? Double)
            #expect(mean <= 2_500)
            m = try await matched()
            #expect(Set(m.addresses) == ["steady", "slow"])
            #expect(m.rejected.isEmpty)
        }
    }

    /// A history that crossed a threshold without a result judging it (an older hub's: it kept such a miner out
    /// for good) is suspended by the score pass's review, then on probation like any other.
    @Test func aHistoryNoResultJudgedIsSuspendedByTheReview() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("slow")
            #expect(try await client.heartbeat("slow", token: token) == .ok)
            var stats = MinerStats(decayedAt: t.clock.now())
            for i in 0..<10 {
                let result = JobResult(
                    jobID: "old-\(i)", address: MinerAddress("slow")!, outcome: .failed, responseTimeMs: nil, gpuSeconds: nil, error: nil,
                    reportedAt: t.clock.now())
                // Stored unjudged, as an older hub stored it.
                guard case .recorded(let next) = try await t.hub.store.recordResult(result, decay: ScoringConfig.standard.decay) else {
                    Issue.record("not recorded")
                    return
                }
                stats = next
            }
            await t.hub.live.takeStats(stats, of: MinerAddress("slow")!, at: t.clock.now())
            var r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#)
            #expect(r.json["rejected"] as? [String: Int] == ["success_rate": 1])

            #expect(try await t.hub.standingReview.run() == 1)
            #expect(try await t.hub.standingReview.run() == 0, "reviewed once")
            r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#)
            #expect(r.json["rejected"] as? [String: Int] == ["suspended": 1])
            #expect(try await standing(client)["state"] as? String == "suspended")
            t.clock.advance(by: 1_800)
            #expect(try await client.heartbeat("slow", token: token) == .ok)
            r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#)
            #expect(miners(r.json).count == 1)
            #expect(try await standing(client)["state"] as? String == "probation")
        }
    }
}
