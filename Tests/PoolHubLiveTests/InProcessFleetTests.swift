import Foundation
import PoolHubCore
import PoolHubLive
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func makeFleet(reservationTTL: TimeInterval = 600) -> InProcessFleet {
    InProcessFleet(
        policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: 45), heartbeat: HeartbeatPolicy(ttl: 45), reservationTTL: reservationTTL),
        rng: SplitMix64(seed: 42))
}

/// Registers `count` miners of `slots` slots serving `model` and gives each a heartbeat at `now`.
func populate(_ fleet: InProcessFleet, count: Int, slots: Int = 4, model: String = "llama3.2", at now: Date = t0) {
    for i in 0..<count {
        let miner = Miner(
            address: MinerAddress("miner-\(i)")!, endpoint: "http://m\(i).example.com",
            capabilities: MinerCapabilities(models: [model], gpuMemory: 24_576, maxConcurrentJobs: slots), registeredAt: now)
        fleet.upsert(miner, credential: MinerCredential(salt: [], digest: []), stats: MinerStats(decayedAt: now), at: now)
        _ = fleet.recordStatus(
            LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: now), of: miner.address)
    }
}

@Suite struct InProcessFleetTests {
    @Test func concurrentReservingMatchesNeverOverbook() async {
        let fleet = makeFleet()
        populate(fleet, count: 100, slots: 4)
        let answers = await withTaskGroup(of: MatchResult.self) { group in
            for i in 0..<2_000 {
                group.addTask { fleet.match(MatchRequest(model: "llama3.2", jobID: "job-\(i)", limit: 3, reserve: true), at: t0) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let reserved = answers.compactMap { $0.miners.first?.reservation }
        #expect(answers.filter { !$0.miners.isEmpty }.count == 400)
        #expect(reserved.count == 400)
        #expect(answers.filter { $0.miners.isEmpty }.allSatisfy { $0.rejected["at_capacity"] == 100 })
        let perMiner = Dictionary(grouping: reserved, by: \.address).mapValues(\.count)
        #expect(perMiner.count == 100)
        #expect(perMiner.values.allSatisfy { $0 == 4 })
        #expect(fleet.summary(at: t0).activeReservations == 400)
    }

    /// A heartbeat expires at the instant the expiry queue fires for it, whatever the floating-point rounding: here
    /// `(last + ttl) - last < ttl`, so a TTL checked by subtraction still said online at that instant, and nothing
    /// was left scheduled to take the miner out later.
    @Test func aHeartbeatExpiresAtTheInstantItsExpiryFires() {
        let ttl: TimeInterval = 30.3
        let fleet = InProcessFleet(
            policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: ttl), heartbeat: HeartbeatPolicy(ttl: ttl), reservationTTL: 60))
        let last = Date(timeIntervalSinceReferenceDate: 786_000_725.8526014)
        #expect(last.addingTimeInterval(ttl).timeIntervalSince(last) < ttl)  // the rounding this test is about
        populate(fleet, count: 1, at: last)
        fleet.sweep(at: HeartbeatPolicy(ttl: ttl).expiry(of: last))
        let later = last.addingTimeInterval(1_000)
        #expect(fleet.summary(at: later).online == 0)
        #expect(fleet.match(MatchRequest(model: "llama3.2", reserve: false), at: later).miners.isEmpty)
        #expect(fleet.takeOfflineTransitions().count == 1)
    }

    @Test func reportedLoadAndReservationsOverlap() {
        let fleet = makeFleet()
        populate(fleet, count: 1, slots: 2)
        _ = fleet.recordStatus(
            LiveStatus(available: true, currentLoad: 1, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0),
            of: MinerAddress("miner-0")!)
        #expect(fleet.match(MatchRequest(model: "llama3.2"), at: t0).miners.count == 1)  // max(1, 0) < 2
        #expect(fleet.match(MatchRequest(model: "llama3.2"), at: t0).miners.count == 1)  // max(1, 1) < 2
        #expect(fleet.match(MatchRequest(model: "llama3.2"), at: t0).miners.isEmpty)  // max(1, 2) == 2
    }

    @Test func expiryAndReleaseFreeTheSlot() throws {
        let fleet = makeFleet(reservationTTL: 60)
        populate(fleet, count: 1, slots: 1)
        let first = try #require(fleet.match(MatchRequest(model: "llama3.2", jobID: "a"), at: t0).miners.first?.reservation)
        #expect(fleet.match(MatchRequest(model: "llama3.2", jobID: "b"), at: t0.addingTimeInterval(10)).miners.isEmpty)
        // The heartbeat must stay fresh for the miner to be matchable at all.
        let later = t0.addingTimeInterval(60)
        _ = fleet.recordStatus(
            LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: later),
            of: MinerAddress("miner-0")!)
        let second = try #require(fleet.match(MatchRequest(model: "llama3.2", jobID: "b"), at: later).miners.first?.reservation)
        #expect(second.id != first.id)
        #expect(fleet.release(first.id, at: later) == nil)  // already expired
        #expect(fleet.release(second.id, at: later)?.id == second.id)
        #expect(fleet.release(second.id, at: later) == nil)
        #expect(fleet.match(MatchRequest(model: "llama3.2", jobID: "c"), at: later).miners.count == 1)
        fleet.sweep(at: later.addingTimeInterval(120))
        #expect(fleet.summary(at: later.addingTimeInterval(120)).activeReservations == 0)
    }

    @Test func rematchingALiveJobReturnsTheSameReservation() throws {
        let fleet = makeFleet()
        populate(fleet, count: 3, slots: 1)
        let first = fleet.match(MatchRequest(model: "llama3.2", jobID: "job-1", limit: 3), at: t0)
        let again = fleet.match(MatchRequest(model: "llama3.2", jobID: "job-1", limit: 3), at: t0.addingTimeInterval(1))
        let held = try #require(first.miners.first?.reservation)
        #expect(again.miners.first?.reservation == held)
        #expect(again.miners.count == 3)
        #expect(Set(again.miners.map(\.address)).count == 3)
        #expect(fleet.summary(at: t0).activeReservations == 1)
    }

    @Test func aResultReleasesTheJobsSlotAndRescores() throws {
        let fleet = makeFleet()
        populate(fleet, count: 1, slots: 1)
        let address = MinerAddress("miner-0")!
        _ = try #require(fleet.match(MatchRequest(model: "llama3.2", jobID: "job-1"), at: t0).miners.first?.reservation)
        let before = try #require(fleet.member(address)).score
        var stats = try #require(fleet.member(address)).stats
        stats = stats.recording(
            JobResult(jobID: "job-1", address: address, outcome: .completed, responseTimeMs: 300, gpuSeconds: 1, error: nil, reportedAt: t0),
            decay: Decay(dailyFactor: 0.95))
        fleet.recordOutcome(of: "job-1", on: address, stats: stats, at: t0)
        #expect(try #require(fleet.member(address)).score > before)
        #expect(fleet.summary(at: t0).activeReservations == 0)
        // An older copy of the stats never replaces a newer one.
        fleet.recordOutcome(of: "job-x", on: address, stats: MinerStats(decayedAt: t0), at: t0)
        #expect(try #require(fleet.member(address)).stats == stats)
    }

    @Test func deregisteredMinersAreNeverMatchedAndLoseTheirReservations() {
        let fleet = makeFleet()
        populate(fleet, count: 1, slots: 2)
        _ = fleet.match(MatchRequest(model: "llama3.2", jobID: "x"), at: t0)
        #expect(fleet.deregister(MinerAddress("miner-0")!, at: t0))
        #expect(fleet.match(MatchRequest(model: "llama3.2"), at: t0).miners.isEmpty)
        #expect(fleet.summary(at: t0).activeReservations == 0)
        #expect(fleet.member(MinerAddress("miner-0")!)?.deregisteredAt == t0)
        #expect(!fleet.deregister(MinerAddress("nobody")!, at: t0))
    }

    @Test func offlineMinersAreNeverMatched() {
        let fleet = makeFleet()
        populate(fleet, count: 2)
        let result = fleet.match(MatchRequest(model: "llama3.2"), at: t0.addingTimeInterval(45))
        #expect(result.miners.isEmpty)
        #expect(result.rejected == ["offline": 2])
    }

    @Test func unknownModelsAreCountedAsModelRejections() {
        let fleet = makeFleet()
        populate(fleet, count: 5)
        let result = fleet.match(MatchRequest(model: "mistral"), at: t0)
        #expect(result.miners.isEmpty)
        #expect(result.rejected == ["model": 5])
    }

    @Test func refreshMovesScoresWithTime() throws {
        let fleet = makeFleet()
        populate(fleet, count: 1)
        let address = MinerAddress("miner-0")!
        let before = try #require(fleet.member(address)).card
        // Silent for a day: availability falls.
        fleet.refreshScores(at: t0.addingTimeInterval(86_400))
        let after = try #require(fleet.member(address)).card
        #expect(after.availability.value < before.availability.value)
        #expect(after.computedAt == t0.addingTimeInterval(86_400))
    }

    /// A token alone finds its miner, through registration, a new credential and a reload.
    @Test func membersAreFoundByTheirTokenLookup() {
        let fleet = makeFleet()
        let miner = Miner(
            address: MinerAddress("gpu-miner-1")!, endpoint: "http://localhost:8101",
            capabilities: MinerCapabilities(models: ["llama"], gpuMemory: nil, maxConcurrentJobs: 1), registeredAt: t0)
        fleet.upsert(miner, credential: MinerCredential(salt: [], digest: [], lookup: [1]), stats: MinerStats(decayedAt: t0), at: t0)
        #expect(fleet.member(withKey: [1])?.miner.address == miner.address)
        fleet.upsert(miner, credential: MinerCredential(salt: [], digest: [], lookup: [2]), stats: MinerStats(decayedAt: t0), at: t0)
        #expect(fleet.member(withKey: [1]) == nil)
        #expect(fleet.member(withKey: [2])?.miner.address == miner.address)
        let members = fleet.members { _ in true }
        let reloaded = makeFleet()
        reloaded.load(members, at: t0)
        #expect(reloaded.member(withKey: [2])?.miner.address == miner.address)
        var stored = members[0]
        stored.credential.lookup = [3]
        reloaded.merge(stored: stored)
        #expect(reloaded.member(withKey: [2]) == nil)
        #expect(reloaded.member(withKey: [3])?.miner.address == miner.address)
    }

    @Test func membersAreReadAChunkAtATimeEachOnceWhileTheFleetChanges() async {
        let fleet = makeFleet()
        let count = InProcessFleet.membersPerHold * 5 / 2 + 3
        populate(fleet, count: count, slots: 2)
        for i in stride(from: 0, to: count, by: 10) { fleet.deregister(MinerAddress("miner-\(i)")!, at: t0) }
        func number(_ m: FleetMember) -> Int { Int(m.miner.address.value.dropFirst("miner-".count))! }
        let expected = (0..<count).filter { $0 % 10 != 0 && $0 % 3 == 0 }
        // Registrations, heartbeats and matches go on while the chunks are read.
        let busy = Task {
            for i in 0..<2_000 {
                let newcomer = Miner(
                    address: MinerAddress("late-\(i)")!, endpoint: "http://late.example.com",
                    capabilities: MinerCapabilities(models: ["llama3.2"], gpuMemory: nil, maxConcurrentJobs: 1), registeredAt: t0)
                fleet.upsert(newcomer, credential: MinerCredential(salt: [], digest: []), stats: MinerStats(decayedAt: t0), at: t0)
                _ = fleet.match(MatchRequest(model: "llama3.2", jobID: "j-\(i)", limit: 1, reserve: true), at: t0)
            }
        }
        for _ in 0..<20 {
            let found = fleet.members { $0.miner.address.value.hasPrefix("miner-") && number($0) % 3 == 0 }
            #expect(found.map(number) == expected, "each listed member once, in slot order")
        }
        await busy.value
        #expect(fleet.members { _ in true }.count == count - (count + 9) / 10 + 2_000)
    }
}
