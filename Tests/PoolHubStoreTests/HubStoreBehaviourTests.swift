import Foundation
import PoolHubCore
import PoolHubStore
import Testing

extension HubStore {
    /// Heartbeats as the registry saves them, online for the default 45 s TTL.
    func saveStatus(_ status: LiveStatus, uptime: UptimeLedger, of address: MinerAddress) async throws {
        try await saveStatus(status, uptime: uptime, onlineUntil: status.lastHeartbeatAt.addingTimeInterval(45), of: address)
    }
}

/// The behaviour every store must have, run against each backend: SQLite and PostgreSQL never drift apart.
@Suite struct HubStoreBehaviourTests {
    @Test(arguments: Backend.available) func migrationsApplyOnceAndSurviveReopening(_ backend: Backend) async throws {
        let database = try await backend.makeDatabase()
        #expect(try await database.withStore { try await $0.migrate() } == Migration.all.map(\.version))
        #expect(try await database.withStore { try await $0.migrate() } == [])
    }

    @Test(arguments: Backend.available) func minersRoundTrip(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            #expect(try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0)))
            #expect(
                try await store.insertMiner(sampleMiner(gpuMemory: nil), credential: credential, stats: MinerStats(decayedAt: t0))
                    == false)
            #expect(
                try await store.insertMiner(sampleMiner("cpu-1", gpuMemory: nil), credential: credential, stats: MinerStats(decayedAt: t0)))
            let status = LiveStatus(available: true, currentLoad: 2, gpuUtilization: 0.75, temperature: 65, lastHeartbeatAt: t0)
            let uptime = UptimeLedger(onlineSeconds: 30, observedSeconds: 40, accountedUntil: t0)
            try await store.saveStatus(status, uptime: uptime, of: MinerAddress("0xabc")!)
            // An older heartbeat never overwrites a newer one.
            var stale = status
            stale.lastHeartbeatAt = t0.addingTimeInterval(-5)
            stale.currentLoad = 0
            try await store.saveStatus(stale, uptime: UptimeLedger(), of: MinerAddress("0xabc")!)

            let loaded = try await store.loadMiners()
            #expect(loaded.map(\.miner.address.value) == ["0xabc", "cpu-1"])
            let gpu = try #require(loaded.first { $0.miner.address.value == "0xabc" })
            #expect(gpu.miner == sampleMiner())
            #expect(gpu.credential == credential)
            #expect(gpu.status == status)
            #expect(gpu.uptime == uptime)
            let cpu = try #require(loaded.first { $0.miner.address.value == "cpu-1" })
            #expect(cpu.miner.capabilities.gpuMemory == nil)
            #expect(cpu.status == nil)

            // One miner by address is the same row as in the full load.
            #expect(try await store.loadMiner(MinerAddress("0xabc")!) == gpu)
            #expect(try await store.loadMiner(MinerAddress("cpu-1")!) == cpu)
            #expect(try await store.loadMiner(MinerAddress("nobody")!) == nil)
        }
    }

    @Test(arguments: Backend.available) func newerHeartbeatReplacesStatus(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            let address = MinerAddress("0xabc")!
            try await store.saveStatus(
                LiveStatus(available: true, currentLoad: 1, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0),
                uptime: UptimeLedger(onlineSeconds: 1, observedSeconds: 1, accountedUntil: t0), of: address)
            let newer = LiveStatus(
                available: false, currentLoad: 3, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0.addingTimeInterval(30))
            let uptime = UptimeLedger(onlineSeconds: 31, observedSeconds: 31, accountedUntil: t0.addingTimeInterval(30))
            try await store.saveStatus(newer, uptime: uptime, of: address)
            let loaded = try #require(try await store.loadMiner(address))
            #expect(loaded.status == newer)
            #expect(loaded.uptime == uptime)
        }
    }

    /// Many heartbeats at once (PostgreSQL writes them in batches): each miner keeps its newest, whatever the order.
    @Test(arguments: Backend.available) func concurrentHeartbeatsKeepEachMinersNewest(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            let addresses = (0..<20).map { MinerAddress("m-\($0)")! }
            for address in addresses {
                _ = try await store.insertMiner(sampleMiner(address.value), credential: credential, stats: MinerStats(decayedAt: t0))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for beat in (0..<25).shuffled() {
                    for (i, address) in addresses.enumerated() {
                        group.addTask {
                            let at = t0.addingTimeInterval(Double(beat))
                            try await store.saveStatus(
                                LiveStatus(available: true, currentLoad: beat % 4, gpuUtilization: Double(i), temperature: nil, lastHeartbeatAt: at),
                                uptime: UptimeLedger(onlineSeconds: Double(beat), observedSeconds: Double(beat), accountedUntil: at), of: address)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for (i, address) in addresses.enumerated() {
                let loaded = try #require(try await store.loadMiner(address))
                #expect(loaded.status?.lastHeartbeatAt == t0.addingTimeInterval(24))
                #expect(loaded.status?.currentLoad == 0)
                #expect(loaded.status?.gpuUtilization == Double(i))
                #expect(loaded.uptime.onlineSeconds == 24)
            }
        }
    }

    @Test(arguments: Backend.available) func resultsCountOnceAndConflictsAreRefused(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            let decay = Decay(dailyFactor: 0.95)
            let result = JobResult(
                jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 1840, gpuSeconds: 3.2,
                error: nil, reportedAt: t0)
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

            // A failure with an error text and no timings round-trips as well.
            let failure = JobResult(
                jobID: "job-2", address: MinerAddress("0xabc")!, outcome: .timeout, responseTimeMs: nil, gpuSeconds: nil,
                error: "deadline exceeded", reportedAt: t0.addingTimeInterval(60))
            guard case .recorded(let after) = try await store.recordResult(failure, decay: decay) else {
                Issue.record("second job not recorded")
                return
            }
            #expect(after.jobsFailed == 1 && after.version == 2)
            #expect(try await store.recordResult(failure, decay: decay) == .duplicate(failure))
        }
    }

    @Test(arguments: Backend.available) func concurrentReportsOfOneJobCountOnce(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            let result = JobResult(
                jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 100, gpuSeconds: 1,
                error: nil, reportedAt: t0)
            let outcomes = await withTaskGroup(of: ResultRecording?.self) { group in
                for _ in 0..<20 { group.addTask { try? await store.recordResult(result, decay: Decay(dailyFactor: 0.95)) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .recorded = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .duplicate(result) }.count == 19)
            #expect(try await store.loadMiners().first?.stats.jobsCompleted == 1)
        }
    }

    @Test(arguments: Backend.available) func concurrentResultsForOneMinerLoseNoUpdate(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            let errors = await withTaskGroup(of: Bool.self) { group in
                for job in 0..<200 {
                    group.addTask {
                        let result = JobResult(
                            jobID: "job-\(job)", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 100,
                            gpuSeconds: 1, error: nil, reportedAt: t0.addingTimeInterval(Double(job)))
                        guard case .recorded = try? await store.recordResult(result, decay: Decay(dailyFactor: 0.95)) else {
                            return false
                        }
                        return true
                    }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 0 : 1 }
            }
            #expect(errors == 0)
            let stats = try #require(try await store.loadMiner(MinerAddress("0xabc")!)).stats
            #expect(stats.jobsCompleted == 200)
            #expect(stats.version == 200)
        }
    }

    @Test(arguments: Backend.available) func deregistrationKeepsHistoryAndUpdateRestores(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            _ = try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0))
            try await store.deregister(MinerAddress("0xabc")!, at: t0.addingTimeInterval(10))
            // Deregistering again keeps the first time.
            try await store.deregister(MinerAddress("0xabc")!, at: t0.addingTimeInterval(15))
            #expect(try await store.loadMiners().first?.deregisteredAt == t0.addingTimeInterval(10))
            var updated = sampleMiner()
            updated.endpoint = "https://new.example.com"
            updated.capabilities.gpuMemory = nil
            updated.region = nil
            updated.tags = [:]
            let newCredential = MinerCredential(salt: [4, 5], digest: [6])
            try await store.updateMiner(updated, credential: newCredential, at: t0.addingTimeInterval(20))
            let loaded = try #require(try await store.loadMiners().first)
            #expect(loaded.deregisteredAt == nil)
            #expect(loaded.miner == updated)
            #expect(loaded.credential == newCredential)
        }
    }

    /// What AITBC miners declare beyond our profile, and the lookup that finds a miner by its token alone.
    @Test(arguments: Backend.available) func minerOffersAndTokenLookupsRoundTrip(_ backend: Backend) async throws {
        try await backend.makeDatabase().withStore { store in
            try await store.migrate()
            var miner = sampleMiner("gpu-miner-1")
            miner.capabilities.ramMemory = 16_384
            miner.capabilities.cpuCores = 2
            miner.capabilities.gpuName = "NVIDIA H100 80GB HBM3"
            miner.proto = "http"
            miner.price = Decimal(string: "123456789.000000001")
            miner.chainID = "ait-hub"
            miner.walletAddress = "ait1qxyz"
            let keyed = MinerCredential(salt: [1], digest: [2], lookup: [3, 4, 5])
            #expect(try await store.insertMiner(miner, credential: keyed, stats: MinerStats(decayedAt: t0)))
            let loaded = try #require(try await store.loadMiner(miner.address))
            #expect(loaded.miner == miner)
            #expect(loaded.miner.price?.description == "123456789.000000001")
            #expect(loaded.credential == keyed)
            #expect(try await store.minerAddress(withKey: [3, 4, 5]) == miner.address)
            #expect(try await store.minerAddress(withKey: [9]) == nil)

            // A token names one miner: another address with the same lookup is refused.
            #expect(try await store.insertMiner(sampleMiner("twin"), credential: keyed, stats: MinerStats(decayedAt: t0)) == false)
            #expect(try await store.loadMiner(MinerAddress("twin")!) == nil)

            var plain = miner
            plain.capabilities = MinerCapabilities(models: ["x"], gpuMemory: nil, maxConcurrentJobs: 1)
            (plain.proto, plain.price, plain.chainID, plain.walletAddress) = (nil, nil, nil, nil)
            let rekeyed = MinerCredential(salt: [1], digest: [2], lookup: [6])
            try await store.updateMiner(plain, credential: rekeyed, at: t0.addingTimeInterval(5))
            #expect(try await store.loadMiner(miner.address)?.miner == plain)
            #expect(try await store.minerAddress(withKey: [3, 4, 5]) == nil)
            #expect(try await store.minerAddress(withKey: [6]) == miner.address)
        }
    }
}
