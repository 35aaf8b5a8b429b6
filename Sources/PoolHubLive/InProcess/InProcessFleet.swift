// The default hot state: the whole fleet in this process behind one lock.

package import Foundation
package import PoolHubCore
import Synchronization

/// The default hot state: the whole fleet in this process behind one lock, so a match filters,
/// ranks and reserves in one critical section and two matches can never take the same slot.
///
/// The candidate index holds what can be matched now. Every event that can change a miner's
/// matchability (a heartbeat, a reservation or its release, a result, a rescore, a registration)
/// files the miner again (`reindex`); what changes by time alone (a heartbeat or a reservation
/// expiring) is driven by the expiry queue, advanced to the caller's time before each operation.
package final class InProcessFleet: LiveState {
    fileprivate struct State {
        let policy: FleetPolicy
        /// The latest time an operation brought; what operations without a time of their own use.
        var now = Date.distantPast
        var members: [FleetMember] = []
        var slots: [MinerAddress: Int32] = [:]
        /// Members by their credential's lookup digest, for requests that carry only a token.
        var slotsByKey: [[UInt8]: Int32] = [:]
        var index = CandidateIndex()
        var expiries = ExpiryQueue()
        /// The summary, kept as members are filed.
        var tally = FleetTally()
        /// Miners that went offline, until storage takes them (`takeOfflineTransitions`).
        var wentOffline: [OfflineTransition] = []
        /// The slot of the miner each reservation is on; the reservation itself is in that member's `leases`.
        /// (A slot, not a copy: at 900,000 reservations a copy per entry cost 120 MB of dictionary storage.)
        var reservations: [ReservationID: Int32] = [:]
        /// The reservations each job holds: one, or a gang's (one per miner).
        var reservationsByJob: [String: [ReservationID]] = [:]
        /// Breaks near-ties between candidates.
        var rng: SplitMix64
        /// Reservation ids.
        var secure = SecureRandom()
    }

    package let policy: FleetPolicy
    private let state: Mutex<State>

    package init(policy: FleetPolicy, rng: SplitMix64 = SplitMix64()) {
        self.policy = policy
        self.state = Mutex(State(policy: policy, rng: rng))
    }

    package func load(_ members: [FleetMember], at now: Date) {
        state.withLock { s in s.replace(with: members, at: now) }
    }

    /// Takes the fleet as storage had it when it was read, as `load` does, but keeps what this instance
    /// learned since: members storage did not have yet, and statuses and statistics newer than storage's.
    /// Leases are not kept: the caller mirrors the live reservations it read with the fleet.
    package func reload(_ stored: [FleetMember], at now: Date) {
        state.withLock { s in
            var members = stored
            var read = Set<MinerAddress>(minimumCapacity: stored.count)
            for k in members.indices {
                read.insert(members[k].miner.address)
                if let slot = s.slots[members[k].miner.address] { members[k].keepNewer(of: s.members[Int(slot)]) }
            }
            for var member in s.members where !read.contains(member.miner.address) {
                member.leases = []
                members.append(member)
            }
            s.replace(with: members, at: now)
        }
    }

    package func member(_ address: MinerAddress) -> FleetMember? {
        state.withLock { s in s.slots[address].map { s.members[Int($0)] } }
    }

    package func lookup(_ address: MinerAddress) -> FleetMember? { member(address) }

    package func member(withKey lookup: [UInt8]) -> FleetMember? {
        state.withLock { s in s.slotsByKey[lookup].map { s.members[Int($0)] } }
    }

    /// Takes a member as storage has it (another instance changed it). This instance's leases stay,
    /// and so do its status and statistics where they are newer than storage's.
    package func merge(stored: FleetMember) {
        state.withLock { s in
            guard let slot = s.slots[stored.miner.address] else { return s.append(stored) }
            let i = Int(slot)
            let current = s.members[i]
            var member = stored
            member.leases = current.leases
            member.keepNewer(of: current)
            s.rekey(slot, from: current.credential, to: member.credential)
            s.members[i] = member
            s.reindex(slot)
        }
    }

    package func upsert(_ miner: Miner, credential: MinerCredential, stats: MinerStats, at now: Date) {
        let scorer = policy.scorer
        state.withLock { s in
            s.advance(to: now)
            guard let slot = s.slots[miner.address] else {
                let card = scorer.card(stats: stats, uptime: UptimeLedger(), stake: miner.stake, at: now)
                s.append(
                    FleetMember(miner: miner, credential: credential, stats: stats, uptime: UptimeLedger(), status: nil, card: card))
                return
            }
            let i = Int(slot)
            var member = s.members[i]
            s.rekey(slot, from: member.credential, to: credential)
            member.miner = miner
            member.credential = credential
            member.deregisteredAt = nil
            member.card = scorer.card(stats: member.stats, uptime: member.uptime, stake: miner.stake, at: now)
            s.members[i] = member
            s.reindex(slot)
        }
    }

    @discardableResult
    package func deregister(_ address: MinerAddress, at now: Date) -> Bool {
        state.withLock { s in
            s.advance(to: now)
            guard let slot = s.slots[address] else { return false }
            guard s.members[Int(slot)].isListed else { return true }
            s.members[Int(slot)].deregisteredAt = now
            for lease in s.members[Int(slot)].leases { s.forget(lease.id) }
            s.reindex(slot)
            return true
        }
    }

    @discardableResult
    package func setCordon(_ address: MinerAddress, cordonedAt: Date?) -> Bool {
        state.withLock { s in
            guard let slot = s.slots[address] else { return false }
            // It leaves the rankings and is counted under `cordoned` until uncordoned.
            s.members[Int(slot)].cordonedAt = cordonedAt
            s.reindex(slot)
            return true
        }
    }

    package func recordStatus(_ status: LiveStatus, of address: MinerAddress) -> UptimeLedger? {
        let ttl = policy.heartbeat.ttl
        let decay = policy.scorer.config.decay
        return state.withLock { s in
            s.advance(to: status.lastHeartbeatAt)
            guard let slot = s.slots[address] else { return nil }
            let i = Int(slot)
            let ledger = s.members[i].uptime.recordingHeartbeat(at: status.lastHeartbeatAt, ttl: ttl, decay: decay)
            s.members[i].uptime = ledger
            if let previous = s.members[i].status, previous.lastHeartbeatAt > status.lastHeartbeatAt { return ledger }
            s.members[i].status = status
            s.reindex(slot)
            return ledger
        }
    }

    package func recordOutcome(of jobID: String, on address: MinerAddress, stats: MinerStats, at now: Date) {
        state.withLock { s in
            s.advance(to: now)
            // Only this miner's slot: the other members of a gang hold theirs until their own results.
            if let id = s.reservationsByJob[jobID]?.first(where: { s.reservation($0)?.address == address }) { s.forget(id) }
        }
        takeStats(stats, of: address, at: now)
    }

    /// Takes newer statistics (from a result here or on another instance) and rescores the miner.
    package func takeStats(_ stats: MinerStats, of address: MinerAddress, at now: Date) {
        let scorer = policy.scorer
        state.withLock { s in
            guard let slot = s.slots[address] else { return }
            let i = Int(slot)
            guard stats.version > s.members[i].stats.version else { return }
            s.members[i].stats = stats
            s.rescore(slot, scorer.card(stats: stats, uptime: s.members[i].uptime, stake: s.members[i].miner.stake, at: now))
        }
    }

    /// Mirrors a reservation taken elsewhere (another instance, through the shared state).
    package func mirror(_ reservation: Reservation) {
        state.withLock { s in
            guard s.reservations[reservation.id] == nil, let slot = s.slots[reservation.address] else { return }
            s.members[Int(slot)].leases.append(reservation)
            s.reservations[reservation.id] = slot
            if let jobID = reservation.jobID { s.reservationsByJob[jobID, default: []].append(reservation.id) }
            s.reindex(slot)
        }
    }

    /// Forgets a mirrored reservation, live or not.
    package func forget(_ id: ReservationID) {
        state.withLock { s in s.forget(id) }
    }

    /// Takes score cards computed elsewhere (the score cache) for the miners named.
    package func takeCards(_ cards: [(address: MinerAddress, card: ScoreCard)]) {
        for chunk in stride(from: 0, to: cards.count, by: 256) {
            state.withLock { s in
                for (address, card) in cards[chunk..<min(cards.count, chunk + 256)] {
                    // A card computed before this instance's own (after a newer result) is stale.
                    if let slot = s.slots[address], card.computedAt >= s.members[Int(slot)].card.computedAt { s.rescore(slot, card) }
                }
            }
        }
    }

    /// Every member's score card, for the score cache.
    package func cards() -> [(address: MinerAddress, card: ScoreCard)] {
        state.withLock { s in s.members.lazy.filter(\.isListed).map { ($0.miner.address, $0.card) } }
    }

    /// Each miner's `max_concurrent_jobs` (0 when unknown) and its last reported load, read under one lock.
    package func capacity(of addresses: [MinerAddress]) -> [(slots: Int, load: Int)] {
        state.withLock { s in
            addresses.map { address in
                guard let slot = s.slots[address] else { return (0, 0) }
                // Read in place: a copy of the member would retain each of its references.
                let i = Int(slot)
                return (s.members[i].miner.capabilities.maxConcurrentJobs, s.members[i].status?.currentLoad ?? 0)
            }
        }
    }

    /// The reservations still live at `now`, for writing them back to a shared state that lost them.
    package func liveReservations(at now: Date) -> [Reservation] {
        state.withLock { s in s.members.flatMap { $0.leases.filter { $0.isLive(at: now) } } }
    }

    /// The match answer for a miner, with a reservation taken elsewhere.
    package func matched(_ address: MinerAddress, reservation: Reservation?) -> MatchedMiner? {
        state.withLock { s in s.slots[address].map { s.matched($0, reservation: reservation) } }
    }

    package func match(_ request: MatchRequest, at now: Date) -> MatchResult {
        let pipeline = policy.pipeline
        let ttl = policy.reservationTTL
        return state.withLock { s in
            s.advance(to: now)
            let context = s.context(at: now)
            var request = request
            let gang = request.count
            var held: [MatchedMiner] = []
            if request.reserve, let jobID = request.jobID {
                for id in s.reservationsByJob[jobID] ?? [] {
                    guard let existing = s.reservation(id), existing.isLive(at: now), let slot = s.slots[existing.address] else { continue }
                    held.append(s.matched(slot, reservation: existing))
                }
            }
            if !held.isEmpty {
                // An idempotent retry: the job keeps its slots; the rest of the list is fresh.
                request.exclude.formUnion(held.map(\.address))
                request.limit = request.listed - held.count
                request.count = 1
            }
            var selection = MatchPipeline.Selection(slots: [], rejected: [:])
            if request.limit > 0 {
                let excluded = Set(request.exclude.compactMap { s.slots[$0] })
                let preferred = request.preferences.miners.compactMap { s.slots[$0] }
                selection = pipeline.select(
                    request, in: s.index, members: s.members, excluded: excluded, preferred: preferred, context: context, rng: &s.rng)
            }
            let elsewhere = s.index.countNotServing(request.models)
            if elsewhere > 0 { selection.rejected["model", default: 0] += elsewhere }
            var miners = selection.slots.map { s.matched($0, reservation: nil) }
            var available: Int?
            if held.isEmpty, gang > 1 {
                // A gang: all of it or nothing.
                available = min(miners.count, gang)
                if miners.count < gang { miners = [] }
            }
            if held.isEmpty, request.reserve {
                for k in miners.indices.prefix(gang) {
                    miners[k].reservation = s.reserve(selection.slots[k], jobID: request.jobID, at: now, ttl: ttl)
                }
            }
            if !held.isEmpty {
                miners.insert(contentsOf: held, at: 0)
                if gang > 1 { available = held.count }
                // The job's own miners were excluded only so that they are not listed twice.
                let listed = held.count { h in s.slots[h.address].flatMap { s.index.entry($0) }.map { $0.unmatchable == nil } ?? false }
                if listed > 0, let n = selection.rejected["excluded"] { selection.rejected["excluded"] = n > listed ? n - listed : nil }
            }
            return MatchResult(miners: miners, rejected: selection.rejected, available: available)
        }
    }

    package func release(_ id: ReservationID, at now: Date) -> Reservation? {
        state.withLock { s in
            s.advance(to: now)
            guard let reservation = s.reservation(id), reservation.isLive(at: now) else { return nil }
            // A gang is released whole: every reservation of the job.
            if let jobID = reservation.jobID {
                for other in s.reservationsByJob[jobID] ?? [] where other != id { s.forget(other) }
            }
            s.forget(id)
            return reservation
        }
    }

    package func sharedStateCheck() -> DependencyCheck? { nil }

    package func takeOfflineTransitions() -> [OfflineTransition] {
        state.withLock { s in
            defer { s.wentOffline = [] }
            return s.wentOffline
        }
    }

    package func refreshScores(at now: Date) {
        let scorer = policy.scorer
        let count = state.withLock { $0.members.count }
        // In chunks, so a match waits for at most one chunk.
        var start = 0
        while start < count {
            let end = min(count, start + 256)
            state.withLock { s in
                for i in start..<min(end, s.members.count) {
                    let m = s.members[i]
                    s.rescore(Int32(i), scorer.card(stats: m.stats, uptime: m.uptime, stake: m.miner.stake, at: now))
                }
            }
            start = end
        }
    }

    /// Applies what expired by `now` (heartbeats, reservations), from the expiry queue.
    package func sweep(at now: Date) {
        state.withLock { s in s.advance(to: now) }
    }

    /// Most members read in one hold of the lock by `members(where:)`.
    package static let membersPerHold = 1_024

    /// Listed members that satisfy `predicate`, read a chunk at a time with the lock released in between, so
    /// that matches go on meanwhile (in one hold, at 1,000,000 miners, the copies held every match up for
    /// seconds). Members keep their slots, so each is read once; each is as it was when its chunk was read.
    package func members(where predicate: (FleetMember) -> Bool) -> [FleetMember] {
        var found: [FleetMember] = []
        var next = 0
        while true {
            // Each chunk in an array of its own: the whole answer grows (and is copied) outside the lock.
            let (chunk, end) = state.withLock { s -> ([FleetMember], Int) in
                let end = min(s.members.count, next + Self.membersPerHold)
                var chunk: [FleetMember] = []
                for i in next..<end where s.members[i].isListed && predicate(s.members[i]) { chunk.append(s.members[i]) }
                return (chunk, end)
            }
            guard end > next else { return found }
            found += chunk
            next = end
        }
    }

    package func scores() -> [(address: MinerAddress, score: Double)] {
        state.withLock { s in s.members.lazy.filter(\.isListed).map { ($0.miner.address, $0.card.score) } }
    }

    /// The fleet's counts as of `now`, from the tally kept as members are filed: no scan of the fleet.
    package func summary(at now: Date) -> FleetSummary {
        state.withLock { s in
            s.advance(to: now)
            var summary = s.tally.summary
            summary.entries = [
                "members": s.members.count, "credentials": s.slotsByKey.count, "reservations": s.reservations.count,
                "reservations_by_job": s.reservationsByJob.count, "leases": s.tally.leases,
            ]
            return summary
        }
    }

    package func modelSummaries(at now: Date) -> [String: ModelSummary] {
        state.withLock { s in
            s.advance(to: now)
            return s.tally.byModel
        }
    }
}

extension InProcessFleet.State {
    func context(at now: Date) -> FilterContext {
        FilterContext(now: now, heartbeat: policy.heartbeat, thresholds: policy.scorer.config.thresholds)
    }

    /// Starts again from `members`, indexed and scheduled afresh; reservations are mirrored afterwards.
    fileprivate mutating func replace(with members: [FleetMember], at now: Date) {
        self = Self(policy: policy, now: now, rng: rng, secure: secure)
        self.members = members
        for (i, member) in members.enumerated() {
            slots[member.miner.address] = Int32(i)
            if let key = member.credential.lookup { slotsByKey[key] = Int32(i) }
        }
        var regions = CandidateIndex()
        let entries = (0..<members.count).map { entry(Int32($0), regions: &regions) }
        index = CandidateIndex(entries, regions: regions.regionTable)
        for (i, entry) in entries.enumerated() {
            tally.set(Int32(i), share(Int32(i)), served: [], serves: entry?.models ?? [])
            schedule(Int32(i))
        }
    }

    fileprivate mutating func append(_ member: FleetMember) {
        let slot = Int32(members.count)
        members.append(member)
        slots[member.miner.address] = slot
        if let key = member.credential.lookup { slotsByKey[key] = slot }
        reindex(slot)
    }

    /// Files `slot` under its new credential's lookup digest instead of the old one's.
    fileprivate mutating func rekey(_ slot: Int32, from old: MinerCredential, to new: MinerCredential) {
        guard old.lookup != new.lookup else { return }
        if let key = old.lookup, slotsByKey[key] == slot { slotsByKey[key] = nil }
        if let key = new.lookup { slotsByKey[key] = slot }
    }

    /// What the index should hold of member `slot` now, its region coded by `regions`: nil when it is not listed.
    fileprivate func entry(_ slot: Int32, regions: inout CandidateIndex) -> CandidateIndex.Entry? {
        let context = context(at: now)
        let region = regions.intern(members[Int(slot)].miner.region)
        return members.withUnsafeBufferPointer { CandidateIndex.Entry($0, slot: slot, region: region, in: context) }
    }

    /// Files member `slot` again after anything about it changed, and schedules its next expiry.
    fileprivate mutating func reindex(_ slot: Int32) {
        let context = context(at: now)
        let region = index.intern(members[Int(slot)].miner.region)
        let entry = members.withUnsafeBufferPointer { CandidateIndex.Entry($0, slot: slot, region: region, in: context) }
        let served = index.entry(slot)?.models ?? []
        index.set(slot, entry)
        tally.set(slot, share(slot), served: served, serves: entry?.models ?? [])
        schedule(slot)
    }

    /// What member `slot` adds to the fleet's summary now.
    fileprivate func share(_ slot: Int32) -> FleetTally.Share {
        // Fields read in place: a member copied whole costs a retain of each of its references.
        let i = Int(slot)
        guard members[i].isListed else { return FleetTally.Share(unlistedWithLeases: members[i].leases.count) }
        let status = members[i].status
        return FleetTally.Share(
            online: policy.heartbeat.isOnline(lastHeartbeatAt: status?.lastHeartbeatAt, graceUntil: members[i].graceUntil, at: now),
            available: status?.available == true, slots: members[i].miner.capabilities.maxConcurrentJobs,
            used: members[i].usedSlots(at: now), reserved: members[i].reservedSlots(at: now), leases: members[i].leases.count)
    }

    fileprivate mutating func schedule(_ slot: Int32) {
        let i = Int(slot)
        if members[i].isListed, let next = members[i].nextExpiry(at: now, heartbeat: policy.heartbeat) { expiries.schedule(slot, at: next) }
    }

    /// Moves time forward to `time`: every member whose heartbeat or reservation expired by then is
    /// filed again (an expired reservation is forgotten).
    fileprivate mutating func advance(to time: Date) {
        if time > now { now = time }
        while let slot = expiries.popDue(at: now) {
            for lease in members[Int(slot)].leases where !lease.isLive(at: now) { forget(lease.id, reindexing: false) }
            let wasOnline = index.entry(slot).map { $0.unmatchable != .offline } ?? false
            reindex(slot)
            // Fields read in place: a member copied whole costs a retain of each of its references.
            let i = Int(slot)
            if wasOnline, index.entry(slot)?.unmatchable == .offline, let status = members[i].status {
                let expiredAt = max(policy.heartbeat.expiry(of: status.lastHeartbeatAt), members[i].graceUntil ?? .distantPast)
                wentOffline.append(
                    OfflineTransition(address: members[i].miner.address, status: status, uptime: members[i].uptime, expiredAt: expiredAt))
            }
        }
    }

    /// Gives a member a new score card and moves it in the index.
    fileprivate mutating func rescore(_ slot: Int32, _ card: ScoreCard) {
        members[Int(slot)].card = card
        reindex(slot)
    }

    fileprivate func matched(_ slot: Int32, reservation: Reservation?) -> MatchedMiner {
        let i = Int(slot)
        return MatchedMiner(
            address: members[i].miner.address, endpoint: members[i].miner.endpoint, score: members[i].card.score,
            estimatedTimeMs: members[i].estimatedTimeMs, price: members[i].miner.price, reservation: reservation)
    }

    fileprivate mutating func reserve(_ slot: Int32, jobID: String?, at now: Date, ttl: TimeInterval) -> Reservation {
        let i = Int(slot)
        let reservation = Reservation(
            id: ReservationID.random(using: &secure), address: members[i].miner.address, jobID: jobID,
            createdAt: now, expiresAt: now.addingTimeInterval(ttl))
        members[i].leases.append(reservation)
        reservations[reservation.id] = slot
        if let jobID { reservationsByJob[jobID, default: []].append(reservation.id) }
        reindex(slot)
        return reservation
    }

    /// A reservation, read from the leases of the miner it is on.
    fileprivate func reservation(_ id: ReservationID) -> Reservation? {
        reservations[id].flatMap { slot in members[Int(slot)].leases.first { $0.id == id } }
    }

    fileprivate mutating func forget(_ id: ReservationID, reindexing: Bool = true) {
        guard let slot = reservations.removeValue(forKey: id),
            let reservation = members[Int(slot)].leases.first(where: { $0.id == id })
        else { return }
        if let jobID = reservation.jobID, var ids = reservationsByJob[jobID] {
            ids.removeAll { $0 == id }
            reservationsByJob[jobID] = ids.isEmpty ? nil : ids
        }
        members[Int(slot)].leases.removeAll { $0.id == id }
        if reindexing { reindex(slot) }
    }
}

extension FleetMember {
    /// Keeps `current`'s status and statistics (with what follows from them) where they are newer than this
    /// member's, as storage had it: a heartbeat or a result taken after storage was read.
    fileprivate mutating func keepNewer(of current: FleetMember) {
        if let mine = current.status, mine.lastHeartbeatAt > status?.lastHeartbeatAt ?? .distantPast {
            status = mine
            uptime = current.uptime
        }
        if current.stats.version > stats.version {
            stats = current.stats
            card = current.card
        }
    }
}
