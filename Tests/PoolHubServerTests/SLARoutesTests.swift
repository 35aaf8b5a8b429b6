import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PoolHubCore
@testable import PoolHubServer
import PoolHubStore
import PoolHubTestSupport
import Testing

extension TestClientProtocol {
    /// A GET whose answer is a JSON array.
    func list(_ uri: String, key: String? = nil) async throws -> (status: HTTPResponse.Status, items: [[String: Any]], json: [String: Any]) {
        var headers: HTTPFields = [:]
        if let key { headers[.xAPIKey] = key }
        return try await execute(uri: uri, method: .get, headers: headers) { response in
            let body = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) ?? [:]
            return (response.status, body as? [[String: Any]] ?? [], body as? [String: Any] ?? [:])
        }
    }

    /// Runs an SLA pass now.
    func collect() async throws -> [String: Any] {
        let r = try await send(.post, "/sla/metrics/collect")
        #expect(r.status == .ok)
        return r.json
    }
}

@Suite struct SLARoutesTests {
    static let sampleFields: Set<String> = ["miner_id", "metric_type", "value", "threshold", "is_violation", "timestamp"]
    static let violationFields: Set<String> = ["id", "miner_id", "violation_type", "severity", "value", "threshold", "started_at", "resolved_at"]

    /// Heartbeats every 5 minutes from `from` to `to` hours after t0 (inclusive), moving the clock, each
    /// followed by the flush the hub runs every second (a heartbeat due for storage waits for it).
    func beat(_ client: any TestClientProtocol, _ t: TestHub, _ address: String, token: String, from: Double, to: Double) async throws {
        var h = from
        while h <= to + 1e-9 {
            t.clock.set(t0.addingTimeInterval(h * 3_600))
            #expect(try await client.heartbeat(address, token: token) == .ok)
            try await t.hub.heartbeats.flush(at: t.clock.now())
            h += 5.0 / 60
        }
    }

    @Test func uptimeViolationOpensOnceAndResolvesWhenTheMinerRecovers() async throws {
        let t = try await TestHub.make { $0.heartbeatTTL = 600 }
        try await t.test { client in
            let token = try await client.register("0xup")
            // Online for the first 22 hours (the last heartbeat keeps it online 10 more minutes), then silent for 2.
            try await beat(client, t, "0xup", token: token, from: 0, to: 22 - 10.0 / 60)
            t.clock.set(t0.addingTimeInterval(24 * 3_600))
            let pass = try await client.collect()
            #expect(pass["miners_processed"] as? Int == 1)
            #expect(pass["violations_opened"] as? Int == 1)
            #expect(Set(pass.keys) == ["miners_processed", "metrics_recorded", "violations_opened", "violations_resolved", "capacity"])

            let samples = try await client.list("/sla/metrics/0xup?metric_type=uptime_pct").items
            let uptime = try #require(samples.first)
            #expect(Set(uptime.keys) == Self.sampleFields)
            #expect(abs((uptime["value"] as? Double ?? 0) - 91.67) < 0.01)
            #expect(uptime["is_violation"] as? Bool == true)
            #expect(uptime["threshold"] as? Double == 95)

            var open = try await client.list("/sla/violations?miner_id=0xup&resolved=false").items
            #expect(open.count == 1)
            let violation = try #require(open.first)
            #expect(Set(violation.keys) == Self.violationFields)
            #expect(violation["violation_type"] as? String == "uptime_pct")
            #expect(violation["severity"] as? String == "high")
            #expect(violation["resolved_at"] is NSNull)

            // Back online. Six hours later the gap still weighs: the same violation stays open, no second one.
            try await beat(client, t, "0xup", token: token, from: 24, to: 30)
            #expect(try await client.collect()["violations_opened"] as? Int == 0)
            open = try await client.list("/sla/violations?miner_id=0xup&resolved=false").items
            #expect(open.count == 1 && open.first?["id"] as? Int == violation["id"] as? Int)

            // Once the gap has left the 24-hour window the miner meets the SLA and the violation resolves.
            try await beat(client, t, "0xup", token: token, from: 30 + 5.0 / 60, to: 48)
            let recovered = try await client.collect()
            #expect(recovered["violations_resolved"] as? Int == 1)
            #expect(try await client.list("/sla/metrics/0xup?metric_type=uptime_pct&hours=0.5").items.first?["value"] as? Double == 100)
            #expect(try await client.collect()["violations_opened"] as? Int == 0)
            #expect(try await client.list("/sla/violations?miner_id=0xup&resolved=false").items.isEmpty)
            let history = try await client.list("/sla/violations?miner_id=0xup").items
            #expect(history.count == 1)
            #expect(history.first?["resolved_at"] as? String != nil)
            #expect(try await client.list("/sla/violations?resolved=true").items.count == 1)
        }
    }

    /// Uptime is judged from the first heartbeat, and not before the hub has watched one heartbeat TTL.
    @Test func uptimeIsJudgedOnlyOverWhatTheHubSaw() async throws {
        let t = try await TestHub.make { $0.heartbeatTTL = 600 }
        try await t.test { client in
            let token = try await client.register("0xlate")
            // The first heartbeat comes 90 s after registering: those 90 s are not offline time.
            t.clock.set(t0.addingTimeInterval(90))
            #expect(try await client.heartbeat("0xlate", token: token) == .ok)
            t.clock.set(t0.addingTimeInterval(90 + 599))
            var pass = try await client.collect()
            #expect(pass["violations_opened"] as? Int == 0)
            #expect(try await client.list("/sla/metrics/0xlate?metric_type=uptime_pct").items.isEmpty)

            t.clock.set(t0.addingTimeInterval(90 + 600))
            pass = try await client.collect()
            #expect(pass["violations_opened"] as? Int == 0)
            let uptime = try await client.list("/sla/metrics/0xlate?metric_type=uptime_pct").items
            #expect(uptime.count == 1 && uptime.first?["value"] as? Double == 100)

            // A miner never seen online is not judged at all.
            _ = try await client.register("0xnever")
            t.clock.advance(by: 3_600)
            _ = try await client.collect()
            #expect(try await client.list("/sla/metrics/0xnever?metric_type=uptime_pct").items.isEmpty)
        }
    }

    /// Without a minimum observation the old behaviour shows: a gap before the first heartbeat is not counted.
    @Test func minimumObservationIsConfigurable() async throws {
        let t = try await TestHub.make { $0.sla.minObservation = 0 }
        try await t.test { client in
            let token = try await client.register("0xnow")
            t.clock.advance(by: 5)
            #expect(try await client.heartbeat("0xnow", token: token) == .ok)
            t.clock.advance(by: 1)
            _ = try await client.collect()
            #expect(try await client.list("/sla/metrics/0xnow?metric_type=uptime_pct").items.first?["value"] as? Double == 100)
        }
    }

    @Test func responseTimesAndCompletionRateComeFromJobResults() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let token = try await client.register("0xslow")
            #expect(try await client.heartbeat("0xslow", token: token) == .ok)
            for (i, ms) in stride(from: 100, through: 2_500, by: 100).enumerated() {
                let r = try await client.send(
                    .post, "/api/v1/jobs/job-\(i)/result", json: #"{"address": "0xslow", "status": "completed", "response_time_ms": \#(ms)}"#)
                #expect(r.status == .ok)
            }
            for (i, status) in ["failed", "failed", "timeout", "rejected"].enumerated() {
                let r = try await client.send(.post, "/api/v1/jobs/bad-\(i)/result", json: #"{"address": "0xslow", "status": "\#(status)"}"#)
                #expect(r.status == .ok)
            }
            // One heartbeat TTL (45 s) watched: long enough to judge uptime.
            t.clock.advance(by: 45)
            _ = try await client.collect()

            let samples = try await client.list("/sla/metrics/0xslow").items
            func value(_ metric: String) -> Double? { samples.first { $0["metric_type"] as? String == metric }?["value"] as? Double }
            #expect(value("response_time_ms") == 1_300)
            #expect(abs((value("completion_rate_pct") ?? 0) - 100.0 * 25 / 28) < 1e-9)
            #expect(value("uptime_pct") == 100)

            let violations = try await client.list("/sla/violations?resolved=false").items
            let types = Set(violations.compactMap { $0["violation_type"] as? String })
            // Uptime is met, and the fleet's one miner has all 4 slots free (100 % available).
            #expect(types == ["response_time_ms", "completion_rate_pct"])
            let slow = try #require(violations.first { $0["violation_type"] as? String == "response_time_ms" })
            #expect(slow["severity"] as? String == "high")
            #expect(slow["threshold"] as? Double == 1_000)

            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            func gauge(_ series: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
            }
            #expect(gauge(#"poolhub_sla_response_time_seconds{miner_id="0xslow",stat="mean"}"#) == 1.3)
            #expect(abs(try #require(gauge(#"poolhub_sla_response_time_seconds{miner_id="0xslow",stat="p95"}"#)) - 2.38) < 1e-9)
            #expect(metrics.contains(#"poolhub_sla_violations_total{type="response_time_ms"} 1"#))
            #expect(metrics.contains(#"poolhub_sla_violations_total{type="uptime_pct"} 0"#))
            #expect(metrics.contains(#"poolhub_sla_uptime_ratio{miner_id="0xslow"} 1.0"#))
        }
    }

    @Test func capacityAvailabilityIsMeasuredOverTheOnlineFleet() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let a = try await client.register("0xa", models: ["llama3.2"], slots: 4)
            let b = try await client.register("0xb", models: ["llama3.2", "mistral"], slots: 4)
            _ = try await client.register("0xc", slots: 8)  // never online: its slots do not count
            #expect(try await client.heartbeat("0xa", token: a, load: 4) == .ok)
            #expect(try await client.heartbeat("0xb", token: b, load: 1) == .ok)
            let pass = try await client.collect()
            let capacity = try #require(pass["capacity"] as? [String: Any])
            #expect(capacity["total_miners"] as? Int == 3)
            #expect(capacity["online_miners"] as? Int == 2)
            #expect(capacity["total_slots"] as? Int == 8)
            #expect(capacity["used_slots"] as? Int == 5)
            #expect(capacity["utilization_pct"] as? Double == 62.5)

            let fleet = try #require(try await client.list("/sla/metrics?metric_type=capacity_availability_pct").items.first)
            #expect(fleet["miner_id"] is NSNull)
            #expect(fleet["value"] as? Double == 37.5)
            let violation = try #require(try await client.list("/sla/violations?resolved=false").items.first)
            #expect(violation["violation_type"] as? String == "capacity_availability_pct")
            #expect(violation["miner_id"] is NSNull)
            #expect(violation["severity"] as? String == "critical")  // 37.5 % is at or below 80 − 20 = 60 %

            let snapshots = try await client.list("/sla/capacity/snapshots").items
            #expect(snapshots.count == 1)
            #expect(Set(snapshots[0].keys) == ["timestamp", "total_miners", "online_miners", "total_slots", "used_slots", "utilization_pct"])
            let mistral = try await client.list("/sla/capacity/snapshots?model=mistral").items
            #expect(mistral.first?["total_slots"] as? Int == 4)
            #expect(mistral.first?["used_slots"] as? Int == 1)
        }
    }

    @Test func forecastAndRecommendationsFollowTheSnapshots() async throws {
        let start = t0.addingTimeInterval(-t0.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400))
        let t = try await TestHub.make()
        try await t.test { client in
            // Too little history: said so, nothing invented.
            let early = try await client.send(.get, "/sla/capacity/forecast")
            #expect(early.json["method"] as? String == "insufficient_history")
            #expect((early.json["points"] as? [Any])?.isEmpty == true)
            #expect(early.json["peak_utilization_pct"] is NSNull && early.json["threshold_crossing_at"] is NSNull)
            let waiting = try await client.list("/sla/capacity/recommendations").items
            #expect(waiting.first?["action"] as? String == "hold")
            #expect((waiting.first?["reason"] as? String)?.contains("history") == true)

            let week = syntheticWeek(from: start)
            _ = try await t.hub.store.recordSLAPass(
                SLAPassRecord(at: week.last!.takenAt, samples: [], snapshots: week, pruneBefore: .distantPast))
            t.clock.set(start.addingTimeInterval(168 * 3_600))

            let forecast = try await client.send(.get, "/sla/capacity/forecast").json
            #expect(Set(forecast.keys) == ["horizon_hours", "method", "points", "peak_utilization_pct", "threshold_crossing_at"])
            #expect(forecast["horizon_hours"] as? Int == 168)
            #expect(forecast["method"] as? String == "holt_winters_additive")
            let points = try #require(forecast["points"] as? [[String: Any]])
            #expect(points.count == 168)
            #expect(Set(points[0].keys) == ["timestamp", "utilization_pct", "lower", "upper"])
            let crossing = try #require((forecast["threshold_crossing_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            let truth = start.addingTimeInterval(syntheticCrossing(after: 168, threshold: 80) * 3_600)
            #expect(abs(crossing.timeIntervalSince(truth)) < 6 * 3_600)
            #expect(try await client.send(.get, "/sla/capacity/forecast?hours=24").json["horizon_hours"] as? Int == 24)

            let advice = try await client.list("/sla/capacity/recommendations").items
            let fleet = try #require(advice.first)
            #expect(Set(fleet.keys) == ["action", "miners", "model", "reason", "priority"])
            #expect(fleet["model"] as? String == "*")
            #expect(fleet["action"] as? String == "scale_up")
            #expect((fleet["miners"] as? Int ?? 0) > 0)

            // `hours` filters the snapshots.
            #expect(try await client.list("/sla/capacity/snapshots?hours=1").items.count == 12)
            #expect(try await client.list("/sla/capacity/snapshots?hours=168").items.count == week.count)
        }
    }

    @Test func badQueriesListEveryProblemAndCollectingNeedsAnAdmin() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let bad = try await client.send(.get, "/sla/metrics?hours=-1&metric_type=speed&limit=0", key: coordinatorKey)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(errorFields(bad.json)) == ["hours", "metric_type", "limit"])
            let violations = try await client.send(.get, "/sla/violations?resolved=maybe&miner_id=%20", key: coordinatorKey)
            #expect(Set(errorFields(violations.json)) == ["resolved", "miner_id"])
            #expect(try await client.send(.get, "/sla/capacity/forecast?hours=abc", key: coordinatorKey).status == .unprocessableContent)
            #expect(try await client.send(.get, "/sla/metrics/0xnobody", key: coordinatorKey).status == .notFound)
            #expect(try await client.send(.get, "/sla/metrics").status == .unauthorized)
            #expect(try await client.send(.post, "/sla/metrics/collect", key: coordinatorKey).status == .forbidden)
            #expect(try await client.send(.post, "/sla/metrics/collect", key: adminKey).status == .ok)
        }
    }

    /// Filters by miner and metric, and `hours` cuts older samples.
    @Test func samplesAreFilteredByMinerMetricAndHours() async throws {
        // Uptime is judged from the first pass on, 10 s after the first heartbeat.
        let t = try await TestHub.make { $0.sla.minObservation = 0 }
        try await t.test { client in
            let a = try await client.register("0xf1")
            let b = try await client.register("0xf2")
            for _ in 0..<3 {
                #expect(try await client.heartbeat("0xf1", token: a) == .ok)
                #expect(try await client.heartbeat("0xf2", token: b) == .ok)
                t.clock.advance(by: 10)
                _ = try await client.collect()
                t.clock.advance(by: 3_590)
            }
            let all = try await client.list("/sla/metrics").items
            // Each pass: uptime per miner plus the fleet's capacity availability.
            #expect(all.count == 9)
            let stamps = all.compactMap { $0["timestamp"] as? String }
            #expect(stamps == stamps.sorted(by: >))
            #expect(try await client.list("/sla/metrics/0xf1").items.allSatisfy { $0["miner_id"] as? String == "0xf1" })
            #expect(try await client.list("/sla/metrics/0xf1").items.count == 3)
            #expect(try await client.list("/sla/metrics?metric_type=uptime_pct").items.count == 6)
            #expect(try await client.list("/sla/metrics?hours=1.5").items.count == 3)
            #expect(try await client.list("/sla/metrics?limit=2").items.count == 2)
        }
    }

    @Test func samplesAndSnapshotsOlderThanTheRetentionArePruned() async throws {
        let t = try await TestHub.make {
            $0.slaRetention = 2 * 86_400
            $0.sla.minObservation = 0
        }
        try await t.test { client in
            let token = try await client.register("0xold")
            #expect(try await client.heartbeat("0xold", token: token) == .ok)
            t.clock.advance(by: 10)
            _ = try await client.collect()
            #expect(try await client.list("/sla/metrics?hours=8760").items.count == 2)
            t.clock.advance(by: 2 * 86_400 + 60)
            _ = try await client.collect()
            // Only the new pass's samples (uptime 0 %: seen before, silent all window, and no online slots, so no capacity sample) and snapshot remain.
            let left = try await client.list("/sla/metrics?hours=8760").items
            #expect(left.count == 1)
            #expect(left.first?["value"] as? Double == 0)
            #expect(try await client.list("/sla/capacity/snapshots?hours=8760").items.count == 1)
        }
    }

    /// The AITBC CLI's `GET /v1/sla/status` needs no key; `/v1/sla/…` are the same routes as `/sla/…`.
    @Test func aitbcSummaryAndAliases() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            var summary = try await client.send(.get, "/v1/sla/status")
            #expect(summary.status == .ok)
            #expect(Set(summary.json.keys) == ["status", "active_violations", "recent_metrics_count", "timestamp"])
            #expect(summary.json["status"] as? String == "healthy")
            #expect(summary.json["active_violations"] as? Int == 0)

            // One miner far below its uptime threshold (one heartbeat, then silent for an hour): a critical violation.
            let token = try await client.register("0xdown")
            #expect(try await client.heartbeat("0xdown", token: token) == .ok)
            t.clock.advance(by: 3_600)
            #expect(try await client.send(.post, "/v1/sla/metrics/collect", key: adminKey).status == .ok)
            summary = try await client.send(.get, "/v1/sla/status")
            #expect(summary.json["status"] as? String == "critical")
            #expect(summary.json["active_violations"] as? Int == 1)
            #expect(summary.json["recent_metrics_count"] as? Int == 1)
            #expect(try await client.list("/v1/sla/violations", key: coordinatorKey).items.count == 1)
            #expect(try await client.send(.get, "/v1/sla/metrics").status == .unauthorized)
        }
    }
}
