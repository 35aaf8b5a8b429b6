import Foundation
import PoolHubCore
import PoolHubLive

/// The fleet-scale workloads in process, on one core: `miners` one-slot miners over 20 models, 90 % of
/// them busy (holding a reservation), plus one miner of model-0 ranked last that alone fits a large
/// GPU request. Every miner has a price (eight prices from 0.10 to 0.80 USD per GPU hour, or with
/// `BENCH_PRICES=wide` 800 prices from 0.100 to 0.899) and one of four regions. Each workload is `iterations`
/// operations, each timed alone.
struct ScaleBenchmark {
    var miners = 1_000_000
    var models = 20
    var iterations = 200_000
    var widePrices = ProcessInfo.processInfo.environment["BENCH_PRICES"] == "wide"

    static let prices = ["0.10", "0.15", "0.20", "0.30", "0.40", "0.50", "0.65", "0.80"]
    static let regions = ["eu-west", "us-east", "ap-south", "sa-east"]

    func run() {
        let now = Date()
        let fleet = InProcessFleet(
            policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: 45), heartbeat: HeartbeatPolicy(ttl: 45), reservationTTL: 3_600),
            rng: SplitMix64(seed: 7))
        var rng = SplitMix64(seed: 11)
        let rssBefore = residentMegabytes()
        let loadStart = ContinuousClock.now
        func price(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
        func register(_ address: MinerAddress, model: String, gpuMemory: Int, stake: Int, price: Decimal, region: String) {
            let miner = Miner(
                address: address, endpoint: "http://10.0.0.1:8080",
                capabilities: MinerCapabilities(models: [model], gpuMemory: gpuMemory, maxConcurrentJobs: 1), stake: stake,
                region: region, registeredAt: now.addingTimeInterval(-86_400), price: price)
            fleet.upsert(miner, credential: MinerCredential(salt: [], digest: []), stats: MinerStats(decayedAt: now), at: now)
            _ = fleet.recordStatus(
                LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: now), of: address)
        }
        let priceList = widePrices ? (0..<800).map { price("0.\(100 + $0)") } : Self.prices.map(price)
        for i in 0..<miners {
            register(
                MinerAddress("0x\(String(i, radix: 16))")!, model: "model-\(i % models)", gpuMemory: [8192, 16_384, 24_576, 81_920][i % 4],
                stake: 1 + Int(rng.next() % 100_000), price: priceList[Int(rng.next() % UInt64(priceList.count))],
                region: Self.regions[Int(rng.next() % 4)])
        }
        // 90 % busy: each reserving match takes the best free miner of its model.
        var held = 0
        for i in 0..<(miners * 9 / 10)
        where fleet.match(MatchRequest(model: "model-\(i % models)", limit: 1, reserve: true), at: now).miners.first?.reservation != nil {
            held += 1
        }
        register(MinerAddress("0xlast")!, model: "model-0", gpuMemory: 163_840, stake: 0, price: price("0.80"), region: "eu-west")
        let loadTime = ContinuousClock.now - loadStart
        let rssAfter = residentMegabytes()
        print(
            """
            in-process fleet scale: \(miners) one-slot miners, \(models) models, \(held) busy (reserved), \(priceList.count) prices, \
            \(Self.regions.count) regions, one core
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
        func request(_ i: Int, limit: Int = 3, _ tweak: (inout MatchRequest) -> Void = { _ in }) -> MatchRequest {
            var r = MatchRequest(model: "model-\(i % models)", limit: limit, reserve: false)
            tweak(&r)
            return r
        }
        let micros = { (text: String) in Price.micros(price(text)) }
        var checks: [String: Int] = [:]
        measure("reserve-free match, a 90 %-busy model") { i in
            checks["plain", default: 0] += fleet.match(request(i), at: now).miners.count
        }
        measure("a request no miner satisfies") { i in
            let result = fleet.match(request(i) { $0.minGPUMemory = 1_000_000 }, at: now)
            checks["gpu_memory rejections", default: 0] += result.rejected["gpu_memory"] ?? 0
        }
        measure("a request only the last-ranked miner satisfies") { _ in
            let result = fleet.match(MatchRequest(model: "model-0", minGPUMemory: 163_840, limit: 3, reserve: false), at: now)
            if result.miners.first?.address.value == "0xlast" { checks["0xlast", default: 0] += 1 }
        }
        measure("max_price 0.30 (about half the prices)") { i in
            checks["max_price", default: 0] += fleet.match(request(i) { $0.maxPriceMicros = micros("0.30") }, at: now).miners.count
        }
        measure("max_price 0.05 (no miner that cheap)") { i in
            let result = fleet.match(request(i) { $0.maxPriceMicros = micros("0.05") }, at: now)
            checks["price rejections", default: 0] += result.rejected["price"] ?? 0
        }
        measure("regions [eu-west]") { i in
            checks["regions", default: 0] += fleet.match(request(i) { $0.regions = ["eu-west"] }, at: now).miners.count
        }
        measure("regions [eu-west], max_price 0.20, min_gpu_memory 24576") { i in
            let r = request(i) {
                $0.regions = ["eu-west"]
                $0.maxPriceMicros = micros("0.20")
                $0.minGPUMemory = 24_576
            }
            checks["combined", default: 0] += fleet.match(r, at: now).miners.count
        }
        measure("preferences.cheapest") { i in
            checks["cheapest", default: 0] += fleet.match(request(i) { $0.preferences.cheapest = true }, at: now).miners.count
        }
        measure("cheapest, regions [us-east], max_price 0.50") { i in
            let r = request(i) {
                $0.preferences.cheapest = true
                $0.regions = ["us-east"]
                $0.maxPriceMicros = micros("0.50")
            }
            checks["cheapest combined", default: 0] += fleet.match(r, at: now).miners.count
        }
        measure("preferences.regions [ap-south]") { i in
            checks["preferred region", default: 0] += fleet.match(request(i) { $0.preferences.regions = ["ap-south"] }, at: now).miners.count
        }
        // Three named miners: one busy, one free, one unknown.
        let free = fleet.match(request(0), at: now).miners.map(\.address)
        let busy = MinerAddress("0x0")!
        measure("preferences.miners (3 named: busy, free, unknown)") { i in
            let r = request(0) { $0.preferences.miners = [busy, free[i % free.count], MinerAddress("0xnobody")!] }
            if fleet.match(r, at: now).miners.first?.address == free[i % free.count] { checks["affinity first", default: 0] += 1 }
        }
        measure("match with reserve and release (a cycle)") { i in
            let result = fleet.match(request(i) { $0.reserve = true }, at: now)
            if let reservation = result.miners.first?.reservation, fleet.release(reservation.id, at: now) != nil {
                checks["cycles", default: 0] += 1
            }
        }
        measure("a gang of 3 with reserve, then its release (a cycle)") { i in
            let result = fleet.match(
                request(i) {
                    $0.reserve = true
                    $0.count = 3
                    $0.jobID = "gang-\(i)"
                }, at: now)
            if result.miners.prefix(3).allSatisfy({ $0.reservation != nil }), let first = result.miners.first?.reservation,
                fleet.release(first.id, at: now) != nil
            {
                checks["gang cycles", default: 0] += 1
            }
        }
        // What an open dashboard asks every 10 s, in the fleet lock: every match waits while it runs.
        let dashboard = ContinuousClock.now
        var modelsSeen = 0
        for _ in 0..<100 { modelsSeen += fleet.modelSummaries(at: now).count }
        print("  the dashboard's per-model table: \((ContinuousClock.now - dashboard) / 100) a call (\(modelsSeen / 100) models)")
        // A full-fleet read (the SLA pass's, the miner list's) on another thread, beside matches: how long a match waits.
        let reads = DispatchGroup()
        let readStart = ContinuousClock.now
        DispatchQueue.global().async(group: reads) { for _ in 0..<3 { _ = fleet.members(where: { _ in true }).count } }
        var waits: [Duration] = []
        while reads.wait(timeout: .now()) == .timedOut {
            let t = ContinuousClock.now
            _ = fleet.match(request(waits.count), at: now)
            waits.append(ContinuousClock.now - t)
        }
        waits.sort()
        print(
            "  three full-fleet reads: \((ContinuousClock.now - readStart) / 3) each; \(waits.count) matches beside them, "
                + "p99.9 \(waits[waits.count * 999 / 1000]), slowest \(waits[waits.count - 1])")
        let summary = fleet.summary(at: now)
        print("  checks: \(checks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        print("  after the runs: \(summary.activeReservations) reservations held (the 90 % of the start)")
    }
}
