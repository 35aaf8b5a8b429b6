import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import PoolHubServer
import Testing
import NIOCore
import NIOHTTP1
import PoolHubTestSupport

@Suite struct DashboardRoutesTests {
    @Test func theRingKeepsTheNewestSamplesOldestFirst() {
        let ring = HistoryRing(capacity: 3)
        func sample(_ i: Int) -> HistorySample {
            HistorySample(
                time: t0.addingTimeInterval(Double(i) * 10), minersTotal: i, minersOnline: 0, minersAvailable: 0, slotsTotal: 0,
                slotsUsed: 0, reservations: 0, matchesPerSecond: 0, heartbeatsPerSecond: 0, matchP50Seconds: nil, matchP99Seconds: nil)
        }
        for i in 0..<2 { ring.append(sample(i)) }
        #expect(ring.samples().map(\.minersTotal) == [0, 1])
        for i in 2..<7 { ring.append(sample(i)) }
        #expect(ring.samples().map(\.minersTotal) == [4, 5, 6])
        #expect(ring.samples(since: t0.addingTimeInterval(55)).map(\.minersTotal) == [6])
        #expect(HistoryRing().capacity == 8_640)
    }

    @Test func latencyQuantilesComeFromTheIntervalAndStartAfresh() throws {
        let window = LatencyWindow()
        #expect(window.drain(quantiles: [0.5]) == nil)
        for _ in 0..<98 { window.record(seconds: 10e-6) }
        for _ in 0..<2 { window.record(seconds: 2e-3) }
        let q = try #require(window.drain(quantiles: [0.5, 0.99]))
        // Buckets are 4 % wide: the answer is the bucket's upper bound.
        #expect(q[0] >= 10e-6 && q[0] < 10.5e-6)
        #expect(q[1] >= 2e-3 && q[1] < 2.1e-3)
        #expect(window.drain(quantiles: [0.5]) == nil)
    }

    @Test func samplesTurnCountersIntoRatesOverTheHubClock() async throws {
        let t = try await TestHub.make()
        let sampler = t.hub.history
        try await t.test { client in
            let token = try await client.register("0xa1")
            sampler.sample()
            for _ in 0..<4 { #expect(try await client.heartbeat("0xa1", token: token) == .ok) }
            for _ in 0..<6 { _ = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#) }
            t.clock.advance(by: 2)
            let sample = sampler.sample()
            #expect(sample.heartbeatsPerSecond == 2)
            #expect(sample.matchesPerSecond == 3)
            #expect(sample.minersOnline == 1)
            #expect(sample.slotsTotal == 4)
            #expect(try #require(sample.matchP50Seconds) > 0)
            t.clock.advance(by: 10)
            let idle = sampler.sample()
            #expect(idle.matchesPerSecond == 0)
            #expect(idle.matchP99Seconds == nil)

            let history = try await client.send(.get, "/api/v1/history?minutes=5")
            #expect(history.status == .ok)
            #expect((history.json["timestamps"] as? [String])?.count == 3)
            let series = try #require(history.json["series"] as? [String: Any])
            #expect(series["matches_per_s"] as? [Double] == [0, 3, 0])
            #expect((series["match_p99_seconds"] as? [Any])?.last is NSNull)
            #expect(history.json["capacity"] as? Int == 8_640)
            #expect(history.json["capacity_alert_threshold_pct"] as? Double == 80)
            let models = try #require(history.json["models"] as? [[String: Any]])
            #expect(models.first?["model"] as? String == "llama3.2")
            #expect(models.first?["online"] as? Int == 1)
            #expect(try await client.send(.get, "/api/v1/history?minutes=0").status == .unprocessableContent)
            #expect(try await client.send(.get, "/api/v1/history?minutes=1441").status == .unprocessableContent)
        }
    }

    @Test func thePageIsServedWholeAndItsDataNeedsAKey() async throws {
        let t = try await TestHub.make(keys: "coordinator:\(coordinatorKey),admin:\(adminKey)")
        try await t.test { client in
            let page = try await client.execute(uri: "/dashboard", method: .get) { ($0.status, $0.headers, String(buffer: $0.body)) }
            #expect(page.0 == .ok)
            #expect(page.1[.contentType] == "text/html; charset=utf-8")
            #expect(page.1[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            // Offline: nothing is loaded from elsewhere.
            #expect(!page.2.contains("http://") && !page.2.contains("https://"))
            #expect(page.2.contains("sessionStorage") && page.2.contains("X-API-Key"))
            #expect(try await client.send(.get, "/api/v1/history").status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/history", key: coordinatorKey).status == .ok)
        }
    }
}
