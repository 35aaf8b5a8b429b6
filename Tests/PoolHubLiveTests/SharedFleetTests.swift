import Foundation
import Logging
import NIOCore
import PoolHubCore
@testable import PoolHubLive
import PoolHubTestSupport
import RESP
import Synchronization
import Testing

let redisURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_REDIS_URL"]

/// Durable storage as far as these tests need it: a fixed fleet.
struct FixedSource: FleetSource {
    let members: [FleetMember]
    func fleet() async throws -> [FleetMember] { members }
    func member(_ address: MinerAddress) async throws -> FleetMember? { members.first { $0.miner.address == address } }
}

/// Storage whose fleet read hands over what it held when called but returns only once the test opens the
/// gate, so that the test can change things in between; `member` reads what it holds now.
final class GatedSource: FleetSource {
    private struct State {
        var members: [FleetMember]
        var reading = false
        var open = false
    }
    private let state: Mutex<State>

    init(members: [FleetMember]) { state = Mutex(State(members: members)) }

    func fleet() async throws -> [FleetMember] {
        let read = state.withLock { s in
            s.reading = true
            return s.members
        }
        _ = await eventually(within: .seconds(60)) { self.state.withLock { $0.open } }
        return read
    }

    func member(_ address: MinerAddress) async throws -> FleetMember? {
        state.withLock { s in s.members.first { $0.miner.address == address } }
    }

    var isReading: Bool { state.withLock { $0.reading } }
    func open() { state.withLock { $0.open = true } }

    /// Writes a member, as the services write storage before they tell the hot state.
    func store(_ member: FleetMember) {
        state.withLock { s in
            s.members.removeAll { $0.miner.address == member.miner.address }
            s.members.append(member)
        }
    }
}

/// `count` online miners serving llama3.2, as storage would hand them over.
func storedFleet(count: Int, slots: Int = 4) -> [FleetMember] {
    let scratch = makeFleet()
    populate(scratch, count: count, slots: slots)
    return scratch.members { _ in true }
}

/// Two hub instances' hot state on one fresh Redis namespace.
func sharedPair(count: Int, slots: Int = 4) throws -> (SharedFleet, SharedFleet) {
    var configuration = try RedisConfiguration(url: try #require(redisURL))
    // These tests check bookings, not latency: two cores shared with the rest of the suite can stall replies.
    configuration.commandTimeout = .seconds(30)
    let namespace = "live-\(UUID().uuidString)"
    let members = storedFleet(count: count, slots: slots)
    func instance() -> SharedFleet {
        let fleet = SharedFleet(
            local: makeFleet(), redis: RedisClient(configuration: configuration, logger: Logger(label: "test")), namespace: namespace,
            source: FixedSource(members: members), clock: ManualClock(t0), logger: Logger(label: "test"))
        fleet.load(members, at: t0)
        return fleet
    }
    return (instance(), instance())
}

@Suite struct FleetEventTests {
    @Test func everyEventSurvivesTheWire() throws {
        let address = MinerAddress("0xabc")!
        let reservation = Reservation(
            id: ReservationID(high: 1, low: 2), address: address, jobID: "job\nwith newline", createdAt: t0.addingTimeInterval(0.125),
            expiresAt: t0.addingTimeInterval(600.5))
        let events: [FleetEvent] = [
            .miner(address),
            .status([address: LiveStatus(available: false, currentLoad: 3, gpuUtilization: 0.731, temperature: nil, lastHeartbeatAt: t0)]),
            .stats(
                address,
                MinerStats(
                    completed: 9.87, failed: 1.5, responseTimeSumMs: 12_345.678, responseTimeCount: 7.25, decayedAt: t0, jobsCompleted: 10,
                    jobsFailed: 2, version: 12)),
            .reserved(reservation), .reserved(Reservation(id: reservation.id, address: address, jobID: nil, createdAt: t0, expiresAt: t0)),
            .released(reservation.id, address), .scores,
        ]
        for event in events {
            let decoded = try #require(FleetEvent.decode(event.encoded(origin: "me")))
            #expect(decoded.origin == "me")
            #expect(decoded.event == event)
        }
        let two: [MinerAddress: LiveStatus] = [
            address: LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: 58.5, lastHeartbeatAt: t0),
            MinerAddress("0xdef")!: LiveStatus(available: false, currentLoad: 1, gpuUtilization: 1, temperature: nil, lastHeartbeatAt: t0 + 1),
        ]
        #expect(FleetEvent.decode(FleetEvent.status(two).encoded(origin: "me"))?.event == .status(two))
        #expect(FleetEvent.decode("me\nstatus\n0xabc\n1") == nil)
        #expect(FleetEvent.decode("me\nstatus\n0xabc\n1\n0\n\n\n0\n0xdef") == nil)
        #expect(FleetEvent.decode("garbage") == nil)
    }

    @Test func anInstanceSkipsItsOwnNewsButReadsItsOwnBookings() {
        let address = MinerAddress("0xabc")!
        let reservation = Reservation(id: ReservationID(high: 1, low: 2), address: address, jobID: nil, createdAt: t0, expiresAt: t0)
        let status = LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0)
        let events: [(FleetEvent, readBack: Bool)] = [
            (.miner(address), false), (.status([address: status]), false), (.stats(address, MinerStats(decayedAt: t0)), false),
            (.scores, false), (.reserved(reservation), true), (.released(reservation.id, address), true),
        ]
        let skips = FleetEvent.isOwnNews(of: "me")
        for (event, readBack) in events {
            #expect(skips(ByteBuffer(string: event.encoded(origin: "me"))) == !readBack, "\(event)")
            // Another instance's, even one whose name starts like ours, is always read.
            #expect(!skips(ByteBuffer(string: event.encoded(origin: "meow"))))
            #expect(!skips(ByteBuffer(string: event.encoded(origin: "m"))))
        }
    }

    @Test func scoreCardsSurviveTheCache() throws {
        let card = Scorer(config: .standard, heartbeatTTL: 45).card(
            stats: MinerStats(decayedAt: t0), uptime: UptimeLedger(), stake: 1_000, at: t0)
        #expect(Wire.card(Wire.card(card)) == card)
    }
}

// Serialized: the two-thousand-claim burst would otherwise starve the follow tests' deadlines on two cores.
@Suite(.serialized, .enabled(if: redisURL != nil, "needs the redis-server of scripts/test.sh"))
struct SharedFleetTests {
    /// Neither instance follows the other here (the worst case: each view knows only its own claims).
    @Test func concurrentClaimsFromTwoInstancesNeverOverbook() async throws {
        let (a, b) = try sharedPair(count: 100, slots: 4)
        let answers = try await withThrowingTaskGroup(of: MatchResult.self) { group in
            for i in 0..<2_000 {
                group.addTask {
                    try await (i % 2 == 0 ? a : b).match(MatchRequest(model: "llama3.2", jobID: "job-\(i)", limit: 3), at: t0)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let reserved = answers.compactMap { $0.miners.first?.reservation }
        #expect(reserved.count == 400)
        #expect(Set(reserved.map(\.id)).count == 400)
        #expect(Dictionary(grouping: reserved, by: \.address).values.allSatisfy { $0.count == 4 })
        #expect(answers.filter { $0.miners.first?.reservation == nil }.allSatisfy { $0.miners.isEmpty })
    }

    @Test func aJobKeepsItsSlotAndReleasingFreesItEverywhere() async throws {
        let (a, b) = try sharedPair(count: 1, slots: 1)
        let first = try await a.match(MatchRequest(model: "llama3.2", jobID: "j1", limit: 1), at: t0)
        let held = try #require(first.miners.first?.reservation)
        // The same job through the other instance gets the same reservation back.
        let retry = try await b.match(MatchRequest(model: "llama3.2", jobID: "j1", limit: 1), at: t0)
        #expect(retry.miners.first?.reservation == held)
        // Another job finds the only slot taken, though B's own view may not have heard of it yet.
        b.local.forget(held.id)
        #expect(try await b.match(MatchRequest(model: "llama3.2", jobID: "j2", limit: 1), at: t0).miners.isEmpty)
        #expect(try await b.release(held.id, at: t0) == held)
        #expect(try await b.release(held.id, at: t0) == nil)
        #expect(try await b.match(MatchRequest(model: "llama3.2", jobID: "j3", limit: 1), at: t0).miners.first?.reservation != nil)
    }

    @Test func expiredReservationsFreeTheirSlots() async throws {
        let (a, _) = try sharedPair(count: 1, slots: 1)
        let held = try #require(try await a.match(MatchRequest(model: "llama3.2", jobID: "j1", limit: 1), at: t0).miners.first?.reservation)
        let later = held.expiresAt.addingTimeInterval(1)
        let beat = LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: later)
        _ = await a.recordStatus(beat, of: held.address)
        a.sweep(at: later)
        #expect(try await a.release(held.id, at: later) == nil)
        #expect(try await a.match(MatchRequest(model: "llama3.2", jobID: "j2", limit: 1), at: later).miners.first?.reservation != nil)
    }

    @Test func anInstanceFollowsTheOthersChanges() async throws {
        let (a, b) = try sharedPair(count: 2, slots: 4)
        let follower = Task { await b.follow() }
        defer { follower.cancel() }
        let address = MinerAddress("miner-0")!
        // Wait until B listens (its first reload), then change things through A.
        let listening = await eventually {
            _ = try? await a.match(MatchRequest(model: "llama3.2", jobID: "probe-\(UUID())", limit: 1), at: t0)
            return b.summary(at: t0).activeReservations > 0
        }
        #expect(listening)
        let beat = LiveStatus(available: false, currentLoad: 2, gpuUtilization: 0.5, temperature: 60, lastHeartbeatAt: t0.addingTimeInterval(5))
        _ = await a.recordStatus(beat, of: address)
        let seen = await eventually(within: .seconds(10)) { b.member(address)?.status == beat }
        #expect(seen, "B never applied A's heartbeat")
        #expect(await b.sharedStateCheck()?.ok == true)
    }

    @Test func whatChangesDuringAReloadSurvivesIt() async throws {
        // An instance serves while it reads the fleet (at start-up, and after every return of Redis): what it
        // takes between the read of storage and the new view must not be lost to the older read.
        let redis = RedisClient(configuration: try RedisConfiguration(url: try #require(redisURL)), logger: Logger(label: "test"))
        let fleet = storedFleet(count: 4)
        let source = GatedSource(members: Array(fleet.prefix(3)))
        let b = SharedFleet(
            local: makeFleet(), redis: redis, namespace: "live-\(UUID().uuidString)", source: source, clock: ManualClock(t0),
            logger: Logger(label: "test"))
        b.load(Array(fleet.prefix(3)), at: t0)
        let following = Task { await b.follow() }
        defer { following.cancel() }
        #expect(await eventually { source.isReading })
        #expect(await b.sharedStateCheck()?.ok == false, "ready before its first reload ended")

        // While the read waits: a registration, a cordon, a heartbeat and a result's statistics.
        let newcomer = fleet[3]
        source.store(newcomer)
        await b.upsert(newcomer.miner, credential: newcomer.credential, stats: newcomer.stats, at: t0)
        var cordoned = fleet[0]
        cordoned.cordonedAt = t0
        source.store(cordoned)
        await b.setCordon(cordoned.miner.address, cordonedAt: t0)
        let beat = LiveStatus(available: false, currentLoad: 1, gpuUtilization: 0.25, temperature: 50, lastHeartbeatAt: t0 + 5)
        _ = await b.recordStatus(beat, of: fleet[1].miner.address)
        var stats = fleet[2].stats
        stats.version += 1
        await b.takeStats(stats, of: fleet[2].miner.address, at: t0)

        source.open()
        #expect(await eventually { await b.sharedStateCheck()?.ok == true }, "never caught up")
        #expect(b.member(newcomer.miner.address)?.isListed == true, "the registration was lost")
        #expect(b.member(cordoned.miner.address)?.isCordoned == true, "the cordon was lost")
        #expect(b.member(fleet[1].miner.address)?.status == beat, "the heartbeat was lost")
        #expect(b.member(fleet[2].miner.address)?.stats.version == stats.version, "the statistics were lost")
        let listed = try await b.match(MatchRequest(model: "llama3.2", limit: 10, reserve: false), at: t0).miners.map(\.address)
        #expect(!listed.contains(cordoned.miner.address) && listed.contains(fleet[2].miner.address))
    }

    @Test func aBurstOfHeartbeatsReachesTheOthersAndRedis() async throws {
        // More miners than one announcement carries, all heartbeating at once through A.
        let count = SharedFleet.heartbeatsPerAnnouncement * 2 + 500
        let (a, b) = try sharedPair(count: count, slots: 1)
        let follower = Task { await b.follow() }
        defer { follower.cancel() }
        let listening = await eventually {
            _ = try? await a.match(MatchRequest(model: "llama3.2", jobID: "probe-\(UUID())", limit: 1), at: t0)
            return b.summary(at: t0).activeReservations > 0
        }
        #expect(listening)
        let beats = (0..<count).map { i in
            (
                MinerAddress("miner-\(i)")!,
                LiveStatus(available: i % 3 != 0, currentLoad: i % 2, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0 + Double(i % 7))
            )
        }
        await withTaskGroup(of: Void.self) { group in
            for (address, status) in beats { group.addTask { _ = await a.recordStatus(status, of: address) } }
        }
        let allSeen = await eventually(within: .seconds(20)) { beats.allSatisfy { b.member($0.0)?.status == $0.1 } }
        #expect(allSeen, "B missed some of A's heartbeats")
        // A third instance starting now reads every one from the heartbeat keys.
        let late = SharedFleet(
            local: makeFleet(), redis: a.redis, namespace: a.namespace, source: FixedSource(members: storedFleet(count: count, slots: 1)),
            clock: ManualClock(t0), logger: Logger(label: "test"))
        await late.reload()
        #expect(beats.allSatisfy { late.member($0.0)?.status == $0.1 })
    }

    @Test func heartbeatsWaitingForABatchKeepEachMinersLatest() {
        let (x, y) = (MinerAddress("0x1")!, MinerAddress("0x2")!)
        func beat(_ at: Double, load: Int = 0) -> LiveStatus {
            LiveStatus(available: true, currentLoad: load, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0 + at)
        }
        var outbox = HeartbeatOutbox()
        // Whether each heartbeat started a batch (the outbox is a value: #expect cannot call its mutating methods).
        let starts = [outbox.add(beat(1), of: x), outbox.add(beat(2), of: x), outbox.add(beat(1, load: 1), of: x), outbox.add(beat(3), of: y)]
        #expect(starts == [true, false, false, false], "the first heartbeat starts a batch, later ones join it")
        let first = outbox.next(atMost: 1)
        let second = outbox.next(atMost: 1)
        #expect(first?.count == 1 && second?.count == 1)
        // An older heartbeat (load 1) did not replace the newer.
        #expect((first ?? [:]).merging(second ?? [:]) { a, _ in a } == [x: beat(2), y: beat(3)])
        let joins = outbox.add(beat(4), of: y)
        #expect(!joins, "still sending until a call to next finds nothing")
        let third = outbox.next(atMost: 10)
        #expect(third == [y: beat(4)])
        let drained = outbox.next(atMost: 10)
        #expect(drained == nil)
        let restarts = outbox.add(beat(5), of: x)
        #expect(restarts, "the next heartbeat starts a new batch")
    }

    @Test func followersAdoptTheSchedulersScoreCache() async throws {
        let (leader, follower) = try sharedPair(count: 3)
        let following = Task { await follower.follow() }
        defer { following.cancel() }
        let address = MinerAddress("miner-1")!
        #expect(await eventually { await follower.sharedStateCheck()?.ok == true })
        // Only the scheduler holder recomputes; a day later availability and decay have moved.
        let later = t0.addingTimeInterval(86_400)
        let adopted = await eventually {
            await leader.refreshScores(at: later)
            return follower.member(address)?.card.computedAt == later
        }
        #expect(adopted, "the follower did not take the leader's score cards")
        #expect(follower.member(address)?.card == leader.member(address)?.card)
    }
}
