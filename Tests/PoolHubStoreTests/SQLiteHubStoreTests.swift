import Foundation
import PoolHubCore
import PoolHubStore
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func temporaryDatabase() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-store-\(UUID().uuidString)/hub.sqlite").path
}

func sampleMiner(_ address: String = "0xabc", gpuMemory: Int? = 16_384) -> Miner {
    Miner(
        address: MinerAddress(address)!, endpoint: "http://miner.example.com:8080",
        capabilities: MinerCapabilities(models: ["llama3.2", "mistral"], gpuMemory: gpuMemory, maxConcurrentJobs: 4),
        stake: 10_000, region: "eu-west", tags: ["gpu": "RTX 4090"], registeredAt: t0)
}

let credential = MinerCredential(salt: [1, 2, 3], digest: [9, 8, 7])

@Suite struct SQLiteHubStoreTests {
    @Test func migrationsApplyOnceAndSurviveReopening() async throws {
        let path = temporaryDatabase()
        #expect(try await SQLiteHubStore(path: path).migrate() == [1])
        #expect(try await SQLiteHubStore(path: path).migrate() == [])
    }

    @Test func minersRoundTrip() async throws {
        let store = try SQLiteHubStore(path: temporaryDatabase())
        try await store.migrate()
        #expect(try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0)))
        #expect(try await store.insertMiner(sampleMiner(gpuMemory: nil), credential: credential, stats: MinerStats(decayedAt: t0)) == false)
        #expect(try await store.insertMiner(sampleMiner("cpu-1", gpuMemory: nil), credential: credential, stats: MinerStats(decayedAt: t0)))
        let status = LiveStatus(available: true, currentLoad: 2, gpuUtilization: 0.75, temperature: 65, lastHeartbeatAt: t0)
        let uptime = UptimeLedger(onlineSeconds: 30, observedSeconds: 40, accountedUntil: t0)
        try await store.saveStatus(status, uptime: uptime, of: MinerAddress("0xabc")!)
        // An older heartbeat never overwrites a newer one.
        var stale = status
        stale.lastHeartbeatAt = t0.addingTimeInterval(-5)
        stale.currentLoad = 0
        try await store.saveStatus(stale, uptime: UptimeLedger(), of: MinerAddress("0xabc")!)

        let loaded = try await store.loadMiners()
        #expect(loaded.count == 2)
        let gpu = try #require(loaded.first { $0.miner.address.value == "0xabc" })
        #expect(gpu.miner == sampleMiner())
        #expect(gpu.credential == credential)
        #expect(gpu.status == status)
        #expect(gpu.uptime == uptime)
        let cpu = try #require(loaded.first { $0.miner.address.value == "cpu-1" })
        #expect(cpu.miner.capabilities.gpuMemory == nil)
        #expect(cpu.status == nil)
    }

    @Test func resultsCountOnceAndConflictsAreRefused() async throws {
        let store = try SQLiteHubStore(path: temporaryDatabase())
        try await store.migrate()
        _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
        let decay = Decay(dailyFactor: 0.95)
        let result = JobResult(
            jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 1840, gpuSeconds: 3.2, error: nil,
            reportedAt: t0)
        guard case .recorded(let stats) = try await store.recordResult(result, decay: decay) else {
            Issue.record("first report not recorded")
            return
        }
        #expect(stats.jobsCompleted == 1)
        var again = result
        again.reportedAt = t0.addingTimeInterval(5)
        #expect(try await store.recordResult(again, decay: decay) == .duplicate(result))
        var different = result
        different.outcome = .failed
        #expect(try await store.recordResult(different, decay: decay) == .conflict(result))
        var unknown = result
        unknown.address = MinerAddress("nobody")!
        #expect(try await store.recordResult(unknown, decay: decay) == .unknownMiner)
        #expect(try await store.loadMiners().first?.stats == stats)
    }

    @Test func concurrentReportsOfOneJobCountOnce() async throws {
        let store = try SQLiteHubStore(path: temporaryDatabase())
        try await store.migrate()
        _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
        let result = JobResult(
            jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 100, gpuSeconds: 1, error: nil,
            reportedAt: t0)
        let outcomes = await withTaskGroup(of: ResultRecording?.self) { group in
            for _ in 0..<20 { group.addTask { try? await store.recordResult(result, decay: Decay(dailyFactor: 0.95)) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .recorded = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate(result) }.count == 19)
        #expect(try await store.loadMiners().first?.stats.jobsCompleted == 1)
    }

    @Test func deregistrationKeepsHistoryAndUpdateRestores() async throws {
        let store = try SQLiteHubStore(path: temporaryDatabase())
        try await store.migrate()
        _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
        try await store.deregister(MinerAddress("0xabc")!, at: t0.addingTimeInterval(10))
        #expect(try await store.loadMiners().first?.deregisteredAt == t0.addingTimeInterval(10))
        var updated = sampleMiner()
        updated.endpoint = "https://new.example.com"
        try await store.updateMiner(updated, credential: credential, at: t0.addingTimeInterval(20))
        let loaded = try #require(try await store.loadMiners().first)
        #expect(loaded.deregisteredAt == nil)
        #expect(loaded.miner.endpoint == "https://new.example.com")
    }
}
