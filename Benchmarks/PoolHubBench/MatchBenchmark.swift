import Foundation
import PoolHubCore
import PoolHubLive

/// In-process matching on one core: a fleet of `miners` miners across `models` models, all online,
/// with varied history, load and GPU memory; each iteration is one reserving match, timed alone,
/// after which its reservation is released (untimed) so the fleet never fills up.
struct MatchBenchmark {
    var miners = 100_000
    var models = 20
    var iterations = 1_000_000
    /// All miners new, with no history: scores tie widely, the pipeline's worst case.
    var fresh = ProcessInfo.processInfo.environment["BENCH_FRESH"] != nil
    /// Models each request accepts, any one of them (AITBC's `capabilities_any`); 1 is the usual request.
    var modelsPerMatch = max(1, Int(ProcessInfo.processInfo.environment["BENCH_MODELS_PER_MATCH"] ?? "") ?? 1)

    func run() {
        let now = Date()
        let fleet = InProcessFleet(
            policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: 45), heartbeat: HeartbeatPolicy(ttl: 45), reservationTTL: 600),
            rng: SplitMix64(seed: 7))
        var rng = SplitMix64(seed: 11)
        let rssBefore = residentMegabytes()
        let loadStart = ContinuousClock.now
        for i in 0..<miners {
            let address = MinerAddress("0x\(String(i, radix: 16))")!
            let primary = "model-\(i % models)"
            let extra = "model-\((i / models) % models)"
            let miner = Miner(
                address: address, endpoint: "http://10.0.\(i / 256 % 256).\(i % 256):8080",
                capabilities: MinerCapabilities(
                    models: primary == extra ? [primary] : [primary, extra], gpuMemory: [8192, 16_384, 24_576, 81_920][i % 4],
                    maxConcurrentJobs: 4),
                stake: Int(rng.next() % 100_000), registeredAt: now.addingTimeInterval(-86_400))
            var stats = MinerStats(decayedAt: now)
            for j in 0..<(fresh ? 0 : Int(rng.next() % 30)) {
                let outcome: JobOutcome = rng.next() % 10 == 0 ? .failed : .completed
                stats = stats.recording(
                    JobResult(
                        jobID: "\(i)-\(j)", address: address, outcome: outcome, responseTimeMs: Double(200 + rng.next() % 4000),
                        gpuSeconds: 1, error: nil, reportedAt: now),
                    decay: Decay(dailyFactor: 0.95))
            }
            fleet.upsert(miner, credential: MinerCredential(salt: [], digest: []), stats: stats, at: now)
            _ = fleet.recordStatus(
                LiveStatus(available: true, currentLoad: Int(rng.next() % 3), gpuUtilization: 0.5, temperature: 60, lastHeartbeatAt: now),
                of: address)
        }
        let loadTime = ContinuousClock.now - loadStart
        let refreshStart = ContinuousClock.now
        fleet.refreshScores(at: now.addingTimeInterval(60))
        let refreshTime = ContinuousClock.now - refreshStart
        let rssAfter = residentMegabytes()

        var samples = [Int64](repeating: 0, count: iterations)
        var matched = 0
        let clock = ContinuousClock()
        let started = clock.now
        for i in 0..<iterations {
            let model = Int(rng.next() % UInt64(models))
            var request = MatchRequest(
                model: "model-\(model)", minGPUMemory: i % 2 == 0 ? 16_384 : nil, maxLatency: i % 3 == 0 ? 4000 : nil, jobID: nil,
                limit: 3, reserve: true)
            if modelsPerMatch > 1 { request.models = (0..<modelsPerMatch).map { "model-\((model + $0 * 7) % models)" } }
            let t = clock.now
            let result = fleet.match(request, at: now)
            let elapsed = clock.now - t
            samples[i] = elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000
            if let reservation = result.miners.first?.reservation {
                matched += 1
                _ = fleet.release(reservation.id, at: now)
            }
        }
        let wall = clock.now - started
        samples.sort()
        func percentile(_ p: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000 }
        let meanMicros = Double(samples.reduce(0, +)) / Double(samples.count) / 1000
        print(
            """
            in-process match with reserve: \(miners) \(fresh ? "new " : "")miners, \(models) models, \(iterations) matches\(modelsPerMatch > 1 ? " accepting any of \(modelsPerMatch) models" : ""), one core
              fleet load: \(loadTime), full score refresh: \(refreshTime), resident memory \(rssBefore) MiB -> \(rssAfter) MiB (+\(rssAfter - rssBefore) MiB for the fleet)
              matched with a reservation: \(matched) of \(iterations)
              latency µs: p50 \(fmt(percentile(0.50)))  p90 \(fmt(percentile(0.90)))  p99 \(fmt(percentile(0.99)))  p99.9 \(fmt(percentile(0.999)))  max \(fmt(Double(samples.last!) / 1000))  mean \(fmt(meanMicros))
              throughput: \(Int(1e6 / meanMicros)) matches/s (timed section), \(Int(Double(iterations) / (Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18))) matches/s including release
            """)
    }

    private func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
}

/// VmRSS of this process in MiB.
func residentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return -1 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}
