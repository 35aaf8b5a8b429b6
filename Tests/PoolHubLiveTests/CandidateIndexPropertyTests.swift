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

    static let regions: [String?] = [nil, "eu", "us", "ap"]
    static let prices: [String?] = [nil, "0.01", "0.0100005", "0.012", "0.02", "0.05", "0.5"]
    static let ceilings: [String] = ["0.01", "0.010001", "0.0125", "0.05", "1"]

    /// How many miners the scan admits for `request` (a gang's `available`, up to `count`).
    static func admissibleCount(_ request: MatchRequest, _ fleet: [(slot: Int32, member: FleetMember)], _ context: FilterContext) -> Int {
        var request = request
        request.limit = 1_000
        request.preferences = MatchPreferences()
        var rng = SplitMix64(seed: 0)
        return bruteForce(request, fleet: fleet, context: context, rng: &rng).addresses.count
    }

    static func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    /// One admissible miner as the scan sees it.
    struct Admissible {
        var slot: Int32
        var score: Double
        var probation: Bool
        /// Micro-USD, `Int64.max` without a price (the pipeline ranks by whole micro-USD, rounded up).
        var price: Int64
        var preferredRegion: Bool
        var utilization: Double
    }

    /// The pipeline's walk and tie-break over the admissible candidates in walk order (as `MatchPipeline.pick`):
    /// near-ties are the same standing, price (when cheapest) and score band.
    static func pick(_ want: Int, _ admissible: [Admissible], cheapest: Bool, tolerance: Double, rng: inout SplitMix64) -> [Int32] {
        func place(_ a: Admissible) -> (Int, Int64, Int64) {
            (a.probation ? 1 : 0, cheapest ? a.price : 0, -Int64((a.score / tolerance).rounded(.down)))
        }
        var hits: [(a: Admissible, place: (Int, Int64, Int64), tiebreak: UInt64)] = []
        var cutoff: (Int, Int64, Int64)?
        for a in admissible {
            let p = place(a)
            if hits.count >= want, let cutoff, p > cutoff || hits.count >= want + 32 { break }
            hits.append((a, p, rng.next()))
            if hits.count == want { cutoff = p }
        }
        hits.sort { x, y in
            if x.place != y.place { return x.place < y.place }
            if x.a.preferredRegion != y.a.preferredRegion { return x.a.preferredRegion }
            if x.a.utilization != y.a.utilization { return x.a.utilization < y.a.utilization }
            return x.tiebreak < y.tiebreak
        }
        return hits.prefix(want).map(\.a.slot)
    }

    /// What a scan of every miner answers for `request` at `now`: `rejected` under the first reason in the
    /// documented order (unmatchable reasons, `excluded`, `region`, `price`, `gpu_memory`, `ram_memory`, `latency`),
    /// the preferred miners that are admissible first, then the walk.
    static func bruteForce(
        _ request: MatchRequest, fleet: [(slot: Int32, member: FleetMember)], context: FilterContext, rng: inout SplitMix64
    ) -> (addresses: [MinerAddress], rejected: [String: Int]) {
        var rejected: [String: Int] = [:]
        var admissible: [Admissible] = []
        let ceiling = request.maxPriceMicros.map { Decimal($0) / 1_000_000 }
        func failedRequirement(_ m: FleetMember) -> String? {
            if let regions = request.regions, !regions.contains(where: { $0 == m.miner.region }) { return "region" }
            if let ceiling {
                guard let price = m.miner.price, price <= ceiling else { return "price" }
            }
            if let minimum = request.minGPUMemory, (m.miner.capabilities.gpuMemory ?? 0) < minimum { return "gpu_memory" }
            if let minimum = request.minRAM, (m.miner.capabilities.ramMemory ?? 0) < minimum { return "ram_memory" }
            if let maxLatency = request.maxLatency, !LatencyFilter(maxLatency: maxLatency).admits(candidate(m), in: context) { return "latency" }
            return nil
        }
        func candidate(_ m: FleetMember) -> Candidate {
            withUnsafePointer(to: m) { Candidate(UnsafeBufferPointer(start: $0, count: 1), slot: 0, at: context.now) }
        }
        let listed = fleet.filter { $0.member.isListed }
        for model in request.models.isEmpty ? [nil] : request.models.map(Optional.some) {
            for (slot, m) in listed where model.map(m.miner.capabilities.models.contains) ?? true {
                let c = candidate(m)
                if let reason = Unmatchable.allCases.first(where: { !$0.filter.admits(c, in: context) }) {
                    rejected[reason.rawValue, default: 0] += 1
                } else if request.exclude.contains(m.miner.address) {
                    rejected["excluded", default: 0] += 1
                } else if let failed = failedRequirement(m) {
                    rejected[failed, default: 0] += 1
                } else if !admissible.contains(where: { $0.slot == slot }) {
                    admissible.append(
                        Admissible(
                            slot: slot, score: m.card.score, probation: m.stats.standing.isOnProbation, price: m.miner.priceMicros ?? .max,
                            preferredRegion: m.miner.region.map(request.preferences.regions.contains) ?? false, utilization: c.utilization))
                }
            }
        }
        if request.models.count == 1 {
            let elsewhere = listed.count { !$0.member.miner.capabilities.models.contains(request.models[0]) }
            if elsewhere > 0 { rejected["model"] = elsewhere }
        }
        let want = request.listed
        var chosen: [Int32] = []
        for address in request.preferences.miners where chosen.count < want {
            guard let slot = fleet.first(where: { $0.member.miner.address == address })?.slot, !chosen.contains(slot),
                admissible.contains(where: { $0.slot == slot })
            else { continue }
            chosen.append(slot)
        }
        var rest = admissible.filter { !chosen.contains($0.slot) }
        rest.sort { x, y in
            if x.probation != y.probation { return y.probation }
            if request.preferences.cheapest, x.price != y.price { return x.price < y.price }
            return x.score != y.score ? x.score > y.score : x.slot < y.slot
        }
        let walked =
            chosen.count < want
            ? pick(
                want - chosen.count, rest, cheapest: request.preferences.cheapest, tolerance: 0.01 * ScoringConfig.standard.maxScore,
                rng: &rng) : []
        let bySlot = Dictionary(uniqueKeysWithValues: fleet.map { ($0.slot, $0.member.miner.address) })
        return ((chosen + walked).map { bySlot[$0]! }, rejected)
    }

    /// The fleet's summary counted member by member, as `InProcessFleet` did before it kept a tally.
    static func summaryByScan(_ fleet: [(slot: Int32, member: FleetMember)], heartbeat: HeartbeatPolicy, at now: Date) -> FleetSummary {
        var summary = FleetSummary()
        var leases = 0
        for m in fleet.map(\.member) {
            leases += m.leases.count
            guard m.isListed else { continue }
            summary.total += 1
            summary.activeReservations += m.reservedSlots(at: now)
            guard heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now) else { continue }
            summary.online += 1
            if m.status?.available == true { summary.available += 1 }
            summary.totalSlots += m.miner.capabilities.maxConcurrentJobs
            summary.usedSlots += min(m.usedSlots(at: now), m.miner.capabilities.maxConcurrentJobs)
        }
        summary.entries = ["leases": leases]
        return summary
    }

    /// Each model's summary by a count over the whole fleet (the dashboard's table, as it was computed before).
    static func modelSummariesByScan(
        _ fleet: [(slot: Int32, member: FleetMember)], heartbeat: HeartbeatPolicy, at now: Date
    ) -> [String: ModelSummary] {
        var byModel: [String: ModelSummary] = [:]
        for m in fleet.map(\.member) where m.isListed {
            let online = heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now)
            for model in m.miner.capabilities.models {
                byModel[model, default: ModelSummary()].miners += 1
                guard online else { continue }
                byModel[model]?.online += 1
                byModel[model]?.totalSlots += m.miner.capabilities.maxConcurrentJobs
                byModel[model]?.usedSlots += min(m.usedSlots(at: now), m.miner.capabilities.maxConcurrentJobs)
            }
        }
        return byModel
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
        var seen: [String: Int] = [:]

        /// The new requirements and preferences, each now and then (names of miners too, known or not).
        func constrain(_ request: inout MatchRequest) {
            if chance(25) { request.maxPriceMicros = Price.micros(Self.decimal(pick(Self.ceilings))) }
            if chance(25) { request.regions = Array(Set([pick(["eu", "us", "ap", "mars"]), pick(["eu", "us"])])).sorted() }
            if chance(25) { request.preferences.cheapest = true }
            if chance(25) { request.preferences.regions = [pick(["eu", "us", "ap", "mars"])] }
            if chance(20), !addresses.isEmpty {
                request.preferences.miners = [pick(addresses), pick(addresses), MinerAddress("nobody")!, pick(addresses)]
            }
        }

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
                    stake: Int(random.next() % 1000), region: pick(Self.regions), registeredAt: now,
                    price: pick(Self.prices).map(Self.decimal))
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
                var request = MatchRequest(
                    models: [pick(Self.models)], jobID: "job-\(jobs)", limit: pick([1, 2, 3]), reserve: true, count: pick([1, 1, 2, 3]))
                if chance(20) { request.minGPUMemory = pick([8_192, 16_384, 16_400, 20_000]) }
                constrain(&request)
                // Checked against the scan too (which also keeps the mirrored tie-break generator in step).
                var expected = Self.bruteForce(request, fleet: snapshot(), context: context(now), rng: &mirror)
                if expected.addresses.count < request.count { expected.addresses = [] }  // a gang: all or nothing
                let available = min(request.count, Self.admissibleCount(request, snapshot(), context(now)))
                let result = fleet.match(request, at: now)
                #expect(result.miners.map(\.address) == expected.addresses, "step \(step): \(request)")
                #expect(result.rejected == expected.rejected, "step \(step): \(request)")
                let held = result.miners.compactMap(\.reservation)
                #expect(held.count == (result.miners.isEmpty ? 0 : request.count), "step \(step): the first `count` hold a slot each")
                #expect(result.miners.prefix(request.count).allSatisfy { $0.reservation != nil }, "step \(step)")
                if request.count > 1 { #expect(result.available == available, "step \(step)") }
                reservations += held
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
            constrain(&request)
            fleet.sweep(at: now)
            let fleetView = snapshot()
            let expected = Self.bruteForce(request, fleet: fleetView, context: context(now), rng: &mirror)
            let answer = fleet.match(request, at: now)
            #expect(answer.miners.map(\.address) == expected.addresses, "step \(step): \(request)")
            #expect(answer.rejected == expected.rejected, "step \(step): \(request)")
            // The summary kept as members are filed equals a count over the whole fleet.
            var summary = fleet.summary(at: now)
            summary.entries = ["leases": summary.entries["leases"] ?? -1]
            #expect(summary == Self.summaryByScan(fleetView, heartbeat: HeartbeatPolicy(ttl: ttl), at: now), "step \(step)")
            #expect(
                fleet.modelSummaries(at: now) == Self.modelSummariesByScan(fleetView, heartbeat: HeartbeatPolicy(ttl: ttl), at: now), "step \(step)")
            // Preferences never admit what a requirement excludes.
            for miner in answer.miners {
                let m = fleet.member(miner.address)
                if let regions = request.regions { #expect(m?.miner.region.map(regions.contains) == true, "step \(step)") }
                if let ceiling = request.maxPriceMicros { #expect((m?.miner.priceMicros ?? .max) <= ceiling, "step \(step)") }
                #expect(miner.price == m?.miner.price)
            }
            if answer.rejected["suspended"] != nil { suspendedSeen += 1 }
            if answer.rejected["region"] != nil { seen["region", default: 0] += 1 }
            if answer.rejected["price"] != nil { seen["price", default: 0] += 1 }
            if request.preferences.cheapest && answer.miners.count > 1 { seen["cheapest", default: 0] += 1 }
            if let first = answer.miners.first, request.preferences.miners.contains(first.address) { seen["affinity", default: 0] += 1 }
            if !request.preferences.regions.isEmpty && answer.miners.count > 1 { seen["preferred region", default: 0] += 1 }
            if fleetView.contains(where: { $0.member.stats.standing.probationJobsLeft > 0 && !$0.member.stats.standing.isSuspended(at: now) }) {
                probationSeen += 1
            }
        }
        // The runs must reach both: suspended miners left out, miners on probation ranked last.
        #expect(suspendedSeen > 0 && probationSeen > 0, "suspended \(suspendedSeen), probation \(probationSeen)")
        // And the new requirements and preferences at work, each several times.
        #expect(seen.count == 5 && seen.values.allSatisfy { $0 >= 5 }, "\(seen)")
    }
}
