// When heartbeats reach storage: transitions at once, the rest coalesced (HEARTBEAT_PERSIST_SECONDS).

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore
import Synchronization

/// Heartbeats are hot-state writes (as node leases are in Kubernetes): a heartbeat is answered once the
/// hot state has it. Storage gets the transitions at once (a miner coming online, its availability
/// changing, its heartbeat expiring) and otherwise at most one write per miner every `interval`, in
/// batches (group commit).
///
/// A stored heartbeat promises the miner online until its expiry plus `interval` (`online_until`), so
/// the online spell in storage runs on between coalesced writes, and an expiry is written as it
/// happens with the exact time. What a `kill -9` can lose: heartbeat timestamps and reported load of
/// at most the last `interval` seconds per miner; after a restart the restart grace reaches back that far.
final class HeartbeatPersistence: Sendable {
    private struct Pending {
        var status: LiveStatus
        var uptime: UptimeLedger
    }

    private struct State {
        /// The newest heartbeat of each miner not written yet.
        var pending: [MinerAddress: Pending] = [:]
        /// When each miner's heartbeat was last written.
        var writtenAt: [MinerAddress: Date] = [:]
        /// Miners with a pending heartbeat, by when it falls due (in order: the interval is the same for all).
        var due: [(address: MinerAddress, at: Date)] = []
        var dueStart = 0
        /// Miners whose pending heartbeat was due when it arrived (not written for `interval`, or never by this instance).
        var overdue: [MinerAddress] = []
        /// Expiries a failed write could not store, tried again first.
        var unwrittenExpiries: [OfflineTransition] = []
    }

    private let state = Mutex(State())
    private let store: any HubStore
    private let live: any LiveState
    private let heartbeat: HeartbeatPolicy
    let interval: TimeInterval

    init(store: any HubStore, live: any LiveState, heartbeat: HeartbeatPolicy, interval: TimeInterval) {
        self.store = store
        self.live = live
        self.heartbeat = heartbeat
        self.interval = interval
    }

    /// How often `flush` runs (the service group's heartbeat-persistence task).
    static let flushPeriod: TimeInterval = 1

    /// How far a stored heartbeat may trail a miner that keeps heartbeating: the coalescing interval, plus
    /// the wait for the flush that writes the heartbeat once it is due.
    /// With an interval of 0 every heartbeat is written before it is answered.
    static func lag(coalescing interval: TimeInterval) -> TimeInterval { interval == 0 ? 0 : interval + flushPeriod }

    /// Until when a stored heartbeat keeps its miner online: its expiry, plus the time the next one may wait.
    func promise(_ status: LiveStatus) -> Date {
        heartbeat.expiry(of: status.lastHeartbeatAt).addingTimeInterval(Self.lag(coalescing: interval))
    }

    /// Takes a heartbeat the hot state has recorded. A transition is written before this returns (after
    /// any expiry that preceded it); any other heartbeat waits for the next `flush` that finds it due, so a
    /// heartbeat never waits on storage unless it changes what storage must know at once (or `interval` is 0).
    func record(_ status: LiveStatus, uptime: UptimeLedger, of address: MinerAddress, transition: Bool) async throws {
        let now = status.lastHeartbeatAt
        let writeNow = state.withLock { s -> Bool in
            if transition || interval == 0 {
                s.pending[address] = nil
                return true
            }
            if s.pending.updateValue(Pending(status: status, uptime: uptime), forKey: address) == nil {
                let dueAt = s.writtenAt[address]?.addingTimeInterval(interval) ?? now
                if dueAt <= now { s.overdue.append(address) } else { s.due.append((address, dueAt)) }
            }
            return false
        }
        guard writeNow else { return }
        try await writeExpiries()
        try await store.saveStatus(status, uptime: uptime, onlineUntil: promise(status), of: address)
        state.withLock { $0.writtenAt[address] = now }
    }

    /// Writes what is due by `now`: the expiries the hot state saw (it is advanced to `now` first), then
    /// the coalesced heartbeats whose interval has passed (all of them with `everything`, as before an SLA pass).
    func flush(at now: Date, everything: Bool = false) async throws {
        live.sweep(at: now)
        try await writeExpiries()
        let batch = state.withLock { s -> [(MinerAddress, Pending)] in
            var batch: [(MinerAddress, Pending)] = []
            if everything {
                batch = s.pending.map { ($0.key, $0.value) }
                s.pending = [:]
                s.due = []
                s.dueStart = 0
                s.overdue = []
            } else {
                for address in s.overdue {
                    if let pending = s.pending.removeValue(forKey: address) { batch.append((address, pending)) }
                }
                s.overdue = []
                while s.dueStart < s.due.count, s.due[s.dueStart].at <= now {
                    let address = s.due[s.dueStart].address
                    s.dueStart += 1
                    if let pending = s.pending.removeValue(forKey: address) { batch.append((address, pending)) }
                }
                if s.dueStart > 4_096, s.dueStart * 2 > s.due.count {
                    s.due.removeFirst(s.dueStart)
                    s.dueStart = 0
                }
            }
            return batch
        }
        // In chunks, so that a transition waiting to be written never queues behind a whole fleet's heartbeats.
        for start in stride(from: 0, to: batch.count, by: Self.rowsPerWrite) {
            let chunk = batch[start..<min(batch.count, start + Self.rowsPerWrite)]
            do {
                try await store.saveStatuses(
                    chunk.map { StatusUpdate($1.status, uptime: $1.uptime, onlineUntil: promise($1.status), of: $0) })
            } catch {
                // Kept for the next flush, unless a newer heartbeat came meanwhile.
                state.withLock { s in
                    for (address, pending) in batch[start...] where s.pending[address] == nil {
                        s.pending[address] = pending
                        s.overdue.append(address)
                    }
                }
                throw error
            }
            state.withLock { s in
                for (address, pending) in chunk { s.writtenAt[address] = pending.status.lastHeartbeatAt }
            }
        }
    }

    /// Heartbeats per write of a flush.
    static let rowsPerWrite = 1_000

    /// Forgets a deregistered miner.
    func forget(_ address: MinerAddress) {
        state.withLock { s in
            s.pending[address] = nil
            s.writtenAt[address] = nil
        }
    }

    /// Writes each expiry the hot state reported, ending the miner's online spell when it really ended.
    private func writeExpiries() async throws {
        let fresh = live.takeOfflineTransitions()
        let expired = state.withLock { s in
            defer { s.unwrittenExpiries = [] }
            return s.unwrittenExpiries + fresh
        }
        guard !expired.isEmpty else { return }
        do {
            try await store.saveStatuses(
                expired.map { StatusUpdate($0.status, uptime: $0.uptime, onlineUntil: $0.expiredAt, of: $0.address) })
        } catch {
            state.withLock { $0.unwrittenExpiries = expired + $0.unwrittenExpiries }
            throw error
        }
        state.withLock { s in
            for transition in expired
            where s.pending[transition.address].map({ $0.status.lastHeartbeatAt <= transition.status.lastHeartbeatAt }) ?? false {
                s.pending[transition.address] = nil
            }
        }
    }
}
