import Foundation
import PoolHubCore
import PoolHubLive

/// The fleet-scale workloads in process, on one core: `miners` one-slot miners over 20 models, 90 % of
/// them busy (holding a reservation), plus one miner of model-0 ranked last that alone fits a large
/// GPU request. Each workload is `iterations` operations, each timed alone.
struct ScaleBenchmark {
    var miners = 1_000_000
    var models = 20
    var iterations = 200_000

    func run() {
        let now = Date()
        let fleet = InProcessFleet(
            policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: 45), heartbeat: HeartbeatPolicy(ttl: 45), reservationTTL: 3_600),
            rng: SplitMix64(seed: 7))
        var rng = SplitMix64(seed: 11)
        let rssBefore = residentMegabytes()
        let loadStart = ContinuousClock.now
        func register(_ address: MinerAddress, model: String, gpuMemory: Int, stake: Int) {
            let miner = Miner(
                address: address, endpoint: "http://10.0.0.1:8080",
                capabilities: MinerCapabilities(models: [model], gpuMemory: gpuMemory, maxConcurrentJobs: 1), stake: stake,
                registeredAt: now.addingTimeInterval(-86_400))
            fleet.upsert(miner, credential: MinerCredential(salt: [], digest: []), stats: MinerStats(decayedAt: now), at: now)
            _ = fleet.recordStatus(
                LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: now), of: address)
        }
        for i in 0..<miners {
            register(
                MinerAddress("0x\(String(i, radix: 16))")!, model: "model-\(i % models)", gpuMemory: [8192, 16_384, 24_576, 81_920][i % 4],
                stake: 1 + Int(rng.next() % 100_000))
        }
        // 90 % busy: each reserving match takes the best free miner of its model.
        var held = 0
        for i in 0..<(miners * 9 / 10)
        where fleet.match(MatchRequest(model: "model-\(i % models)", limit: 1, reserve: true), at: now).miners.first?.reservation != nil {
            held += 1
        }
        register(MinerAddress("0xlast")!, model: "model-0", gpuMemory: 163_840, stake: 0)
        let loadTime = ContinuousClock.now - loadStart
        let rssAfter = residentMegabytes()
        print(
            """
            in-process fleet scale: \(miners) one-slot miners, \(models) models, \(held) busy (reserved), one core
              load (register, heartbeat, reserve 90 %): \(loadTime); resident memory \(rssBefore) MiB -> \(rssAfter) MiB
            """)

        func measure(_ name: String, _ body: (Int) -> Void) {
            var samples = [Int64](repeating: 0, count: iterations)
            let clock = ContinuousClock()
            let started = clock.now
            for i in 0..<iterations {
                let t = clock.now
                body(i)
                samples[i] = (clock.now - t).inNanoseconds
            }
            let wall = clock.now - started
            samples.sort()
            func percentile(_ p: Double) -> String {
                String(format: "%.2f", Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000)
            }
            print(
                "  \(name): p50 \(percentile(0.5)) µs, p99 \(percentile(0.99)) µs, p99.9 \(percentile(0.999)) µs; "
                    + "\(Int(Double(iterations) / (wall.inMilliseconds / 1000)))/s")
        }
        var answered = 0
        measure("reserve-free match, a 90 %-busy model") { i in
            answered += fleet.match(MatchRequest(model: "model-\(i % models)", limit: 3, reserve: false), at: now).miners.count
        }
        var rejected = 0
        measure("a request no miner satisfies") { i in
            let result = fleet.match(MatchRequest(model: "model-\(i % models)", minGPUMemory: 1_000_000, limit: 3, reserve: false), at: now)
            rejected += result.rejected["gpu_memory"] ?? 0
        }
        var last = 0
        measure("a request only the last-ranked miner satisfies") { _ in
            let result = fleet.match(MatchRequest(model: "model-0", minGPUMemory: 163_840, limit: 3, reserve: false), at: now)
            if result.miners.first?.address.value == "0xlast" { last += 1 }
        }
        var cycles = 0
        measure("match with reserve and release (a cycle)") { i in
            let result = fleet.match(MatchRequest(model: "model-\(i % models)", limit: 3, reserve: true), at: now)
            if let reservation = result.miners.first?.reservation, fleet.release(reservation.id, at: now) != nil { cycles += 1 }
        }
        print("  checks: \(answered) miners answered, \(rejected) gpu_memory rejections, 0xlast found \(last) times, \(cycles) cycles")
    }
}
