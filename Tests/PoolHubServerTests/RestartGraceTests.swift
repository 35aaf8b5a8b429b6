import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PoolHubCore
import PoolHubTestSupport
import PoolHubLive
import PoolHubStore
@testable import PoolHubServer
import Testing

@Suite struct RestartGraceTests {
    /// The hub stops, stays down ten minutes, and opens the same database again.
    @Test func minersOnlineAtShutdownGetOneTTLOfGrace() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-grace-\(UUID().uuidString)/hub.sqlite").path
        var configuration = try HubConfiguration.load(environment: ["DATABASE_URL": "sqlite:" + path])
        configuration.heartbeatTTL = 45
        // Every heartbeat stored: the grace is exactly one TTL (coalescing widens it, see below).
        configuration.heartbeatPersistInterval = 0
        let logger = Logger(label: "test")
        let clock = ManualClock(t0)
        let before = try await Hub.open(configuration, clock: clock, logger: logger)
        try await Application(router: buildRouter(before)).test(.router) { client in
            let early = try await client.register("early")
            let late = try await client.register("late")
            #expect(try await client.heartbeat("early", token: early) == .ok)
            clock.advance(by: 600)  // "early" went quiet long before the hub stopped
            #expect(try await client.heartbeat("late", token: late) == .ok)
        }
        clock.advance(by: 600)  // the hub is down for ten minutes

        let after = try await Hub.open(configuration, clock: clock, logger: logger)
        try await Application(router: buildRouter(after)).test(.router) { client in
            let body = #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#
            let during = try await client.match(body)
            #expect(miners(during.json).compactMap { $0["address"] as? String } == ["late"])
            #expect((during.json["rejected"] as? [String: Int]) == ["offline": 1])
            clock.advance(by: 44)
            #expect(miners(try await client.match(body).json).count == 1)
            clock.advance(by: 1)
            #expect(miners(try await client.match(body).json).isEmpty)
        }
        // The ten minutes the hub was down do not count against the miner's availability.
        let ledger = try #require(after.live.member(MinerAddress("late")!)).uptime
        // Its last status covered one TTL (online); the rest of the ten minutes is not observed at all.
        #expect(ledger.onlineSeconds == 45)
        #expect(ledger.observedSeconds == 45)
        #expect(ledger.accountedUntil == t0.addingTimeInterval(1200))
    }

    /// Heartbeats stored at most once a minute: a miner heartbeating every 15 s until a crash has a
    /// stored heartbeat up to a minute old, and still comes back online (the grace reaches back as far).
    @Test func coalescedHeartbeatsKeepMinersOnlineThroughARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-grace-\(UUID().uuidString)/hub.sqlite").path
        var configuration = try HubConfiguration.load(environment: ["DATABASE_URL": "sqlite:" + path])
        configuration.heartbeatTTL = 45
        configuration.heartbeatPersistInterval = 60
        let logger = Logger(label: "test")
        let clock = ManualClock(t0)
        let before = try await Hub.open(configuration, clock: clock, logger: logger)
        try await Application(router: buildRouter(before)).test(.router) { client in
            let token = try await client.register("steady")
            // Written (coming online) at t0, then coalesced: the next write would fall due at t0 + 60.
            for _ in 0..<4 {
                #expect(try await client.heartbeat("steady", token: token) == .ok)
                clock.advance(by: 15)
            }
        }
        // A crash at t0 + 59: the heartbeats of t0 + 15 … t0 + 45 never reached storage.
        clock.advance(by: -1)
        let stored = try #require(try await before.store.loadMiner(MinerAddress("steady")!))
        #expect(stored.status?.lastHeartbeatAt == t0)
        clock.advance(by: 30)
        let after = try await Hub.open(configuration, clock: clock, logger: logger)
        try await Application(router: buildRouter(after)).test(.router) { client in
            let body = #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#
            let answer = try await client.match(body)
            #expect(miners(answer.json).compactMap { $0["address"] as? String } == ["steady"])
        }
    }

    /// Only a transition waits for storage: a heartbeat that falls due is answered from the hot state and
    /// written by the next flush, once; one that is not due yet is not written at all.
    @Test func aDueHeartbeatIsWrittenByTheFlushNotBeforeItsAnswer() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-coalesce-\(UUID().uuidString)/hub.sqlite").path
        var configuration = try HubConfiguration.load(environment: ["DATABASE_URL": "sqlite:" + path])
        configuration.heartbeatTTL = 45
        configuration.heartbeatPersistInterval = 60
        let clock = ManualClock(t0)
        let hub = try await Hub.open(configuration, clock: clock, logger: Logger(label: "test"))
        @Sendable func stored() async throws -> Date? { try await hub.store.loadMiner(MinerAddress("steady")!)?.status?.lastHeartbeatAt }
        try await Application(router: buildRouter(hub)).test(.router) { client in
            let token = try await client.register("steady")
            #expect(try await client.heartbeat("steady", token: token) == .ok)  // coming online: written at once
            #expect(try await stored() == t0)
            clock.advance(by: 30)
            #expect(try await client.heartbeat("steady", token: token) == .ok)
            try await hub.heartbeats.flush(at: clock.now())
            #expect(try await stored() == t0, "not due before t0 + 60")
            clock.advance(by: 31)
            #expect(try await client.heartbeat("steady", token: token) == .ok)
            #expect(try await stored() == t0, "a due heartbeat is answered before it is written")
            try await hub.heartbeats.flush(at: clock.now())
            #expect(try await stored() == t0.addingTimeInterval(61))
            // Availability changing is a transition: stored before the answer, without a flush.
            clock.advance(by: 5)
            #expect(try await client.heartbeat("steady", token: token, available: false) == .ok)
            #expect(try await stored() == t0.addingTimeInterval(66))
        }
    }
}
