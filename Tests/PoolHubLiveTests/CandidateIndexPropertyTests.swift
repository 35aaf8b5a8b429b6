import Foundation
import PoolHubCore
import PoolHubLive
import Testing

/// The candidate index against a brute-force scan of the whole fleet, through randomized sequences of
/// registrations, heartbeats, expiries, reservations, releases, results, rescoring, cordons and deregistrations
/// (seeded, on a manual clock). After every step, matches for random requests must return exactly what
/// the scan returns: the same miners in the same order (under the same seeded tie-break) and the same
/// `rejected` counts.
@Suite struct CandidateIndexPropertyTests {
    static let models = ["a", "b", "c"]
    static let gpuSizes: [Int?] = [nil, 8_192, 12_000, 16_384, 16_500, 24_576, 81_920]
    static let ramSizes: [Int?] = [nil, 16_384, 32_768, 65_536]
    static let thresholds = ScoringConfig.Thresholds(
        minSuccessRate: 0.8, maxLatency: 5_000, minAvailability: 0.95, suspensionSeconds: 60, maxSuspensionSeconds: 240, probationJobs: 2)

    /// The pipeline's tie-break, over the admissible candidates in rank order (as `MatchPipeline.pick`).
    static func pick(_ limit: Int, _ admissible: [(rank: Rank, utilization: Double)], tolerance: Double, rng: inout SplitMix64) -> [Int32] {
        func bucket(_ rank: Rank) -> Int64 {
            let band = Int64((rank.score / tolerance).rounded(.down))
            return rank.probation ? band - (1 << 62) : band
        }
        var hits: [(rank: Rank, bucket: Int64, utilization: Double, tiebreak: UInt64)] = []
        var cutoff = Int64.min
        for (rank, utilization) in admissible {
            let b = bucket(rank)
            if hits.count >= limit && (b < cutoff || hits.count >= limit + 32) { break }
            hits.append((rank, b, utilization, rng.next()))
            if hits.count == limit { cutoff = b }
        }
        hits.sort { x, y in
            if x.bucket != y.bucket { return x.bucket > y.bucket }
            if x.utilization != y.utilization { return x.utilization < y.utilization }
            return x.tiebreak < y.tiebreak
        }
        return hits.prefix(limit).map(\.rank.slot)
    }

    /// What a scan of every miner answers for `request` at `now`.
    static func bruteForce(
        _ request: MatchRequest, fleet: [(slot: Int32, member: FleetMember)], context: FilterContext, rng: inout SplitMix64
    ) -> (addresses: [MinerAddress], rejected: [String: Int]) {
        var rejected: [String: Int] = [:]
        var admissible: [(rank: Rank, utilization: Double)] = []
        var requirements: [any MatchFilter] = []
        if let minimum = request.minGPUMemory { requirements.append(GPUMemoryFilter(minimum: minimum)) }
        if let minimum = request.minRAM { requirements.append(RAMFilter(minimum: minimum)) }
        if let maxLatency = request.maxLatency { requirements.append(LatencyFilter(maxLatency: maxLatency)) }
        let listed = fleet.filter { $0.member.isListed }
        for model in request.models.isEmpty ? [nil] : request.models.map(Optional.some) {
            for (slot, m) in listed where model.map(m.miner.capabilities.models.contains) ?? true {
                let candidate = withUnsafePointer(to: m) { Candidate(UnsafeBufferPointer(start: $0, count: 1), slot: 0, at: context.now) }
                if let reason = Unmatchable.allCases.first(where: { !$0.filter.admits(candidate, in: context) }) {
                    rejected[reason.rawValue, default: 0] += 1
                } else if request.exclude.contains(m.miner.address) {
                    rejected["excluded", default: 0] += 1
                } else if let failed = requirements.first(where: { !$0.admits(candidate, in: context) }) {
                    rejected[failed.name, default: 0] += 1
                } else if !admissible.contains(where: { $0.rank.slot == slot }) {
                    admissible.append((Rank(score: m.card.score, slot: slot, probation: m.stats.standing.isOnProbation), candidate.utilization))
                }
            }
        }
        if request.models.count == 1 {
            let elsewhere = listed.count { !$0.member.miner.capabilities.models.contains(request.models[0]) }
            if elsewhere > 0 { rejected["model"] = elsewhere }
        }
        admissible.sort { $0.rank.precedes($1.rank) }
        let slots = pick(request.limit, admissible, tolerance: 0.01 * ScoringConfig.standard.maxScore, rng: &rng)
        let bySlot = Dictionary(uniqueKeysWithValues: fleet.map { ($0.slot, $0.member.miner.address) })
        return (slots.map { bySlot[$0]! }, rejected)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func matchesEqualABruteForceScanThroughRandomEvents(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

        let ttl: TimeInterval = 45
        let fleet = InProcessFleet(
            policy: .init(scorer: Scorer(config: .standard, heartbeatTTL: ttl), heartbeat: HeartbeatPolicy(ttl: ttl), reservationTTL: 90),
            rng: SplitMix64(seed: 1000 + seed))
        var mirror = SplitMix64(seed: 1000 + seed)
        let context = { (now: Date) in FilterContext(now: now, heartbeat: HeartbeatPolicy(ttl: ttl), thresholds: ScoringConfig.standard.thresholds) }
        var now = t0
        var addresses: [MinerAddress] = []
        var reservations: [Reservation] = []
        var jobs = 0
        var suspendedSeen = 0
        var probationSeen = 0

        func snapshot() -> [(slot: Int32, member: FleetMember)] {
            addresses.enumerated().compactMap { i, address in fleet.member(address).map { (Int32(i), $0) } }
        }

        for step in 0..<2_000 {
            switch random.next() % 100 {
            case 0..<12:  // register a new miner, or re-register a known one with another profile
                let address = addresses.isEmpty || chance(70) ? MinerAddress("m\(addresses.count)")! : pick(addresses)
                if !addresses.contains(address) { addresses.append(address) }
                let models = Array(Set([pick(Self.models), pick(Self.models)])).sorted()
                let miner = Miner(
                    address: address, endpoint: "http://\(address).example.com",
                    capabilities: MinerCapabilities(
                        models: models, gpuMemory: pick(Self.gpuSizes), maxConcurrentJobs: pick([1, 2, 3]), ramMemory: pick(Self.ramSizes)),
                    stake: Int(random.next() % 1000), registeredAt: now)
                let stats = fleet.member(address)?.stats ?? MinerStats(decayedAt: now)
                fleet.upsert(miner, credential: MinerCredential(salt: [], digest: []), stats: stats, at: now)
            case 12..<40:  // a heartbeat
                guard !addresses.isEmpty else { continue }
                let address = pick(addresses)
                let slots = fleet.member(address)?.miner.capabilities.maxConcurrentJobs ?? 1
                _ = fleet.recordStatus(
                    LiveStatus(
                        available: chance(85), currentLoad: Int(random.next() % UInt64(slots + 1)), gpuUtilization: nil, temperature: nil,
                        lastHeartbeatAt: now), of: address)
            case 40..<52:  // time passes: heartbeats and reservations expire
                now = now.addingTimeInterval(Double(random.next() % 40))
                if chance(30) { fleet.sweep(at: now) }
            case 52..<64:  // a reserving match
                jobs += 1
                var request = MatchRequest(models: [pick(Self.models)], jobID: "job-\(jobs)", limit: pick([1, 2, 3]), reserve: true)
                if chance(20) { request.minGPUMemory = pick([8_192, 16_384, 16_400, 20_000]) }
                // Checked against the scan too (which also keeps the mirrored tie-break generator in step).
                let expected = Self.bruteForce(request, fleet: snapshot(), context: context(now), rng: &mirror)
                let result = fleet.match(request, at: now)
                #expect(result.miners.map(\.address) == expected.addresses, "step \(step): \(request)")
                #expect(result.rejected == expected.rejected, "step \(step): \(request)")
                #expect(result.miners.first.map { $0.reservation != nil } ?? true, "step \(step): the first miner holds the slot")
                if let reservation = result.miners.first?.reservation { reservations.append(reservation) }
            case 64..<72:  // a release
                guard !reservations.isEmpty else { continue }
                let reservation = reservations.remove(at: Int(random.next() % UInt64(reservations.count)))
                _ = fleet.release(reservation.id, at: now)
            case 72..<84:  // a result: new statistics, the job's slot freed
                guard !reservations.isEmpty else { continue }
                let reservation = reservations.remove(at: Int(random.next() % UInt64(reservations.count)))
                guard let member = fleet.member(reservation.address) else { continue }
                let result = JobResult(
                    jobID: reservation.jobID ?? "", address: reservation.address, outcome: chance(70) ? .completed : .failed,
                    responseTimeMs: Double(100 + random.next() % 9_000), gpuSeconds: 1, error: nil, reportedAt: now)
                // Judged as the store judges it: suspensions (short here, so they end within the run) and probation.
                let stats = member.stats.recording(result, decay: ScoringConfig.standard.decay, judgedBy: Self.thresholds)
                fleet.recordOutcome(of: result.jobID, on: result.address, stats: stats, at: now)
            case 84..<88:  // a deregistration
                guard !addresses.isEmpty else { continue }
                fleet.deregister(pick(addresses), at: now)
            case 88..<92:  // a score refresh
                fleet.refreshScores(at: now)
            case 92..<95:  // an operator cordons or uncordons a miner
                guard !addresses.isEmpty else { continue }
                fleet.setCordon(pick(addresses), cordonedAt: chance(60) ? now : nil)
            case 95..<98:  // results for jobs dispatched without the hub, mostly bad: suspensions, probation
                guard !addresses.isEmpty else { continue }
                let address = pick(addresses)
                for _ in 0..<Int(1 + random.next() % 12) {
                    guard let member = fleet.member(address) else { break }
                    jobs += 1
                    let result = JobResult(
                        jobID: "direct-\(jobs)", address: address, outcome: chance(35) ? .completed : .timeout,
                        responseTimeMs: Double(100 + random.next() % 6_000), gpuSeconds: nil, error: nil, reportedAt: now)
                    let stats = member.stats.recording(result, decay: ScoringConfig.standard.decay, judgedBy: Self.thresholds)
                    fleet.recordOutcome(of: result.jobID, on: address, stats: stats, at: now)
                }
            default:  // a reserve-free match, checked against the scan
                break
            }

            // After every step: a reserve-free match for a random request equals the scan.
            var request = MatchRequest(models: chance(10) ? [] : [pick(Self.models)], limit: pick([1, 3, 5]), reserve: false)
            if chance(40) { request.minGPUMemory = pick([8_192, 12_000, 16_384, 16_400, 24_576, 100_000]) }
            if chance(25) { request.minRAM = pick([16_384, 20_000, 65_536]) }
            if chance(25) { request.maxLatency = pick([500, 2_000, 2_500, 2_501.5, 6_000]) }
            if chance(20), !addresses.isEmpty { request.exclude = [pick(addresses), pick(addresses)] }
            fleet.sweep(at: now)
            let fleetView = snapshot()
            let expected = Self.bruteForce(request, fleet: fleetView, context: context(now), rng: &mirror)
            let answer = fleet.match(request, at: now)
            #expect(answer.miners.map(\.address) == expected.addresses, "step \(step): \(request)")
            #expect(answer.rejected == expected.rejected, "step \(step): \(request)")
            if answer.rejected["suspended"] != nil { suspendedSeen += 1 }
            if fleetView.contains(where: { $0.member.stats.standing.probationJobsLeft > 0 && !$0.member.stats.standing.isSuspended(at: now) }) {
                probationSeen += 1
            }
        }
        // The runs must reach both: suspended miners left out, miners on probation ranked last.
        #expect(suspendedSeen > 0 && probationSeen > 0, "suspended \(suspendedSeen), probation \(probationSeen)")
    }
}
