// Hot state shared between hub instances through Redis.

package import Foundation
package import Logging
package import PoolHubCore
package import RESP
import Synchronization

/// Hot state shared by several hub instances through Redis.
///
/// Each instance keeps the whole fleet in its own `InProcessFleet`, so filtering and ranking stay
/// in memory; what one instance changes it announces on one pub/sub channel and the others apply
/// it (`follow()`), typically within milliseconds. Slots are claimed and freed only by Lua scripts
/// in Redis, which makes them atomic across instances: when Redis cannot be reached a reserving
/// match throws instead of guessing. Heartbeats also live in Redis with their TTL, and the score
/// cache holds the cards the scheduler-holding instance computed.
///
/// Redis may lose its data (no persistence, a failover to an empty replica, a flush). So that it never
/// causes a double-booking, Redis holds an epoch that every claim names: a Redis without it refuses
/// claims, the first instance to notice declares a new epoch with a recovery window, and every live
/// instance writes back the live reservations it knows before it claims again (see `SharedFleet+Epoch`).
package final class SharedFleet: LiveState {
    package let local: InProcessFleet
    let redis: RedisClient
    let namespace: String
    /// This instance's name on the channel, so it skips its own announcements.
    let origin: String
    let source: any FleetSource
    let clock: any HubClock
    let logger: Logger
    /// How long claims are refused after Redis lost its data, so that every instance writes back first.
    let recoveryWindow: Duration
    /// The epoch of Redis's data this instance has written its reservations into ("" before the first).
    let epoch = Mutex("")
    /// Heartbeats taken here and not yet announced (`SharedFleet+Heartbeats`).
    let heartbeats = Mutex(HeartbeatOutbox())
    /// Miners whose registration or cordon changed here while a reload ran (nil when none runs): the
    /// reload's read of storage may predate the change, so they are read again after it (`SharedFleet+Follow`).
    let changedDuringReload = Mutex<Set<MinerAddress>?>(nil)
    /// Nil until `follow()` runs, then whether its first reload has finished: until then this instance
    /// has not caught up with the others, and its shared-state check says so.
    let caughtUp = Mutex<Bool?>(nil)

    var events: String { namespace + ":events" }
    var scoreCache: String { namespace + ":scores" }

    package init(
        local: InProcessFleet, redis: RedisClient, namespace: String, source: any FleetSource, clock: any HubClock,
        recoveryWindow: Duration = .zero, logger: Logger
    ) {
        self.local = local
        self.redis = redis
        self.namespace = namespace
        self.origin = ReservationID.random().description
        self.source = source
        self.clock = clock
        self.recoveryWindow = recoveryWindow
        self.logger = logger
    }

    // MARK: Reads, from this instance's memory

    package func load(_ members: [FleetMember], at now: Date) { local.load(members, at: now) }
    package func member(_ address: MinerAddress) -> FleetMember? { local.member(address) }
    package func member(withKey lookup: [UInt8]) -> FleetMember? { local.member(withKey: lookup) }

    package func lookup(_ address: MinerAddress) async -> FleetMember? {
        if let known = local.member(address) { return known }
        do {
            guard let stored = try await source.member(address) else { return nil }
            local.merge(stored: stored)
        } catch {
            logger.warning("could not read a miner from storage", metadata: ["miner": "\(address)", "error": "\(error)"])
        }
        return local.member(address)
    }
    package func members(where predicate: (FleetMember) -> Bool) -> [FleetMember] { local.members(where: predicate) }
    package func scores() -> [(address: MinerAddress, score: Double)] { local.scores() }
    package func summary(at now: Date) -> FleetSummary { local.summary(at: now) }
    package func modelSummaries(at now: Date) -> [String: ModelSummary] { local.modelSummaries(at: now) }
    package func sweep(at now: Date) { local.sweep(at: now) }
    package func takeOfflineTransitions() -> [OfflineTransition] { local.takeOfflineTransitions() }

    // MARK: Writes, announced to the other instances

    package func upsert(_ miner: Miner, credential: MinerCredential, stats: MinerStats, at now: Date) async {
        noteChange(of: miner.address)
        local.upsert(miner, credential: credential, stats: stats, at: now)
        await announce([], .miner(miner.address))
    }

    @discardableResult
    package func deregister(_ address: MinerAddress, at now: Date) async -> Bool {
        noteChange(of: address)
        let known = local.deregister(address, at: now)
        await announce([["DEL", "\(namespace):slots:\(address)"]], .miner(address))
        return known
    }

    @discardableResult
    package func setCordon(_ address: MinerAddress, cordonedAt: Date?) async -> Bool {
        noteChange(of: address)
        let known = local.setCordon(address, cordonedAt: cordonedAt)
        // The others read the miner again from storage, as after a registration change.
        await announce([], .miner(address))
        return known
    }

    /// Answered once this instance holds the heartbeat; it reaches Redis and the others in the next batch.
    package func recordStatus(_ status: LiveStatus, of address: MinerAddress) async -> UptimeLedger? {
        guard let ledger = local.recordStatus(status, of: address) else { return nil }
        if heartbeats.withLock({ $0.add(status, of: address) }) { Task { await announceHeartbeats() } }
        return ledger
    }

    package func recordOutcome(of jobID: String, on address: MinerAddress, stats: MinerStats, at now: Date) async {
        local.recordOutcome(of: jobID, on: address, stats: stats, at: now)
        do {
            _ = try await redis.run(
                FleetScripts.release, keys: [], arguments: [namespace, origin, Wire.time(now), "", jobID, address.value])
        } catch {
            // The result is stored; the slot comes free when its reservation expires.
            logger.warning("could not release the job's slot in Redis", metadata: ["job_id": "\(jobID)", "error": "\(error)"])
        }
        await announce([], .stats(address, stats))
    }

    package func takeStats(_ stats: MinerStats, of address: MinerAddress, at now: Date) async {
        local.takeStats(stats, of: address, at: now)
        await announce([], .stats(address, stats))
    }

    package func refreshScores(at now: Date) async {
        local.refreshScores(at: now)
        let cards = local.cards()
        // Replaced in one transaction, so a follower never reads half a cache.
        var commands: [[String]] = [["MULTI"], ["DEL", scoreCache]]
        for chunk in stride(from: 0, to: cards.count, by: 500) {
            var hset = ["HSET", scoreCache]
            for (address, card) in cards[chunk..<min(cards.count, chunk + 500)] { hset += [address.value, Wire.card(card)] }
            commands.append(hset)
        }
        await announce(commands + [["EXEC"]], .scores)
    }

    /// Called before a registration or cordon change reaches this instance's view (storage has it already).
    private func noteChange(of address: MinerAddress) {
        changedDuringReload.withLock { _ = $0?.insert(address) }
    }

    /// Sends `commands` and the event in one pipelined write. A failure is logged, not thrown: the
    /// change is already durable and local, and the others read everything again when Redis returns.
    func announce(_ commands: [[String]], _ event: FleetEvent) async {
        await announce(commands, payload: event.encoded(origin: origin))
    }

    /// `announce` with the event already in its wire form.
    func announce(_ commands: [[String]], payload: String) async {
        do {
            let replies = try await redis.pipeline(commands + [["PUBLISH", events, payload]])
            for case .error(let message) in replies { logger.warning("redis refused a command", metadata: ["error": "\(message)"]) }
        } catch {
            logger.notice("could not announce a change to other instances", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Slots, claimed atomically in Redis

    package func match(_ request: MatchRequest, at now: Date) async throws(LiveStateError) -> MatchResult {
        guard request.reserve else { return local.match(request, at: now) }
        let gang = request.count
        var probe = request
        probe.reserve = false
        probe.count = 1
        // Spare candidates, for slots taken a moment ago (here or elsewhere) that this view has not
        // heard of yet; each round excludes those found full and offers twice as many.
        probe.limit = request.listed + 8
        var refused = 0
        var result = MatchResult(miners: [], rejected: [:])
        var available = 0
        for _ in 0..<8 {
            result = local.match(probe, at: now)
            available = min(gang, result.miners.count)
            guard result.miners.count >= gang || request.jobID != nil else { break }
            switch try await claim(result.miners, for: request, at: now) {
            case .held(let reservations):
                var held: [MatchedMiner] = []
                for reservation in reservations {
                    local.mirror(reservation)
                    if let miner = local.matched(reservation.address, reservation: reservation) { held.append(miner) }
                }
                let addresses = Set(reservations.map(\.address))
                let rest = result.miners.filter { !addresses.contains($0.address) }.prefix(request.listed - held.count)
                return MatchResult(
                    miners: held + rest, rejected: Self.counting(refused, in: result.rejected), available: gang > 1 ? held.count : nil)
            case .claimed(let reservations):
                for reservation in reservations { local.mirror(reservation) }
                let byAddress = Dictionary(reservations.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
                let last = result.miners.lastIndex { byAddress[$0.address] != nil } ?? 0
                var gangMiners = result.miners[...last].filter { byAddress[$0.address] != nil }
                for k in gangMiners.indices { gangMiners[k].reservation = byAddress[gangMiners[k].address] }
                let miners = gangMiners + result.miners[(last + 1)...].prefix(request.listed - gangMiners.count)
                // The candidates the claim went past were full.
                let passed = last + 1 - gangMiners.count
                return MatchResult(
                    miners: miners, rejected: Self.counting(refused, in: result.rejected, passed: passed), available: gang > 1 ? gang : nil)
            case .stale:
                // Write back what this instance holds (declaring the new epoch if it is the first to notice), then claim
                // again: while the recovery window is open (other instances writing theirs back) that is refused too.
                do { try await restoreEpoch() } catch { throw .unavailable("Redis lost its data; writing back reservations failed: \(error)") }
                continue
            case .recovering(let ms):
                throw .unavailable("Redis lost its data; the hub instances are writing back their reservations (\(ms) ms left)")
            case .full(let addresses):
                available = min(gang, result.miners.count - addresses.count)
                guard result.miners.count >= gang else { break }
                // This instance's view was behind (announcements still on their way): try the next ones.
                refused += addresses.count
                probe.exclude.formUnion(addresses)
                probe.limit *= 2
                continue
            }
            break
        }
        return MatchResult(miners: [], rejected: Self.counting(refused, in: result.rejected), available: gang > 1 ? available : nil)
    }

    /// Candidates found full in Redis count as at capacity: `refused` ones that the retries excluded,
    /// and `passed` ones of this round's list, which the claim went past.
    private static func counting(_ refused: Int, in rejected: [String: Int], passed: Int = 0) -> [String: Int] {
        guard refused + passed > 0 else { return rejected }
        var rejected = rejected
        let excluded = (rejected["excluded"] ?? 0) - refused
        rejected["excluded"] = excluded > 0 ? excluded : nil
        rejected["at_capacity", default: 0] += refused + passed
        return rejected
    }

    private enum Claim {
        /// The job already holds these (live) reservations.
        case held([Reservation])
        /// New reservations: one for each of the first `count` candidates with a free slot.
        case claimed([Reservation])
        /// Fewer than `count` candidates had a free slot: these were full (the others, if any, were not taken).
        case full([MinerAddress])
        /// Redis's epoch is not ours: it lost its data, or another instance declared a new epoch first.
        case stale
        /// The instances are writing back their reservations; claims resume in `ms` milliseconds.
        case recovering(ms: Int)
    }

    private func claim(_ candidates: [MatchedMiner], for request: MatchRequest, at now: Date) async throws(LiveStateError) -> Claim {
        var arguments = [
            namespace, origin, Wire.time(now), Wire.time(now.addingTimeInterval(local.policy.reservationTTL)), request.jobID ?? "",
            epoch.withLock { $0 }, String(request.count),
        ]
        for _ in 0..<request.count { arguments.append(ReservationID.random().description) }
        for (candidate, capacity) in zip(candidates, local.capacity(of: candidates.map(\.address))) {
            // The reported load counts too: it covers the reservations of an instance that died while Redis was empty.
            arguments += [candidate.address.value, String(capacity.slots), String(capacity.load)]
        }
        let reply: RESPValue
        do {
            reply = try await redis.run(FleetScripts.claim, keys: [], arguments: arguments)
        } catch {
            throw .unavailable("\(error)")
        }
        let parts = reply.array ?? []
        switch parts.first?.string {
        case "full":
            return .full(parts.dropFirst().compactMap { $0.string.flatMap(MinerAddress.init) })
        case "stale":
            return .stale
        case "recovering":
            return .recovering(ms: parts.count == 2 ? parts[1].string.flatMap { Int($0) } ?? 1_000 : 1_000)
        case let kind? where kind == "held" || kind == "claimed":
            var reservations: [Reservation] = []
            for k in stride(from: 1, to: parts.count - 1, by: 2) {
                guard let id = parts[k].string.flatMap(ReservationID.init), let record = parts[k + 1].string,
                    let reservation = Wire.reservation(id, record: record)
                else { throw .unavailable("unexpected reply to the slot claim: \(reply)") }
                reservations.append(reservation)
            }
            guard !reservations.isEmpty, parts.count % 2 == 1 else { break }
            return kind == "held" ? .held(reservations) : .claimed(reservations)
        default:
            break
        }
        throw .unavailable("unexpected reply to the slot claim: \(reply)")
    }

    package func release(_ id: ReservationID, at now: Date) async throws(LiveStateError) -> Reservation? {
        let reply: RESPValue
        do {
            reply = try await redis.run(FleetScripts.release, keys: [], arguments: [namespace, origin, Wire.time(now), id.description, "", ""])
        } catch {
            throw .unavailable("\(error)")
        }
        // The whole gang at once here, as the script freed it in Redis (the others hear it announced).
        _ = local.release(id, at: now)
        local.forget(id)
        return reply.string.flatMap { Wire.reservation(id, record: $0) }
    }

    // MARK: Health

    package func sharedStateCheck() async -> DependencyCheck? {
        let started = ContinuousClock.now
        do {
            _ = try await redis.send(["PING"])
            let elapsed = ContinuousClock.now - started
            if caughtUp.withLock({ $0 }) == false {
                return DependencyCheck(ok: false, error: "catching up with the other instances: the fleet is still being read")
            }
            return DependencyCheck(ok: true, latencyMs: elapsed.inMilliseconds)
        } catch {
            return DependencyCheck(ok: false, error: "\(error)")
        }
    }
}
