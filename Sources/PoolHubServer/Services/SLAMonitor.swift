// The SLA pass: measuring miners and capacity, recording samples and violations.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore
import Synchronization

/// What one SLA pass did (the answer of `POST /sla/metrics/collect`).
struct SLAPassSummary: Sendable {
    var minersProcessed: Int
    var metricsRecorded: Int
    var violationsOpened: Int
    var violationsResolved: Int
    var capacity: CapacitySnapshot
}

/// Measures every listed miner's SLA and the fleet's capacity from what storage and the hot state
/// hold, and records samples, violations and snapshots. Passes run one at a time per instance; the
/// scheduled one only on the scheduler holder, and the database keeps one open violation per miner
/// and metric even if a manual pass elsewhere overlaps.
final class SLAMonitor: Sendable {
    let store: any HubStore
    let live: any LiveState
    let heartbeats: HeartbeatPersistence
    let clock: any HubClock
    let policy: SLAPolicy
    let heartbeat: HeartbeatPolicy
    let retention: TimeInterval
    let metrics: HubMetrics
    private let gate = PassGate()
    private let last = Mutex<Date?>(nil)

    init(
        store: any HubStore, live: any LiveState, heartbeats: HeartbeatPersistence, clock: any HubClock, policy: SLAPolicy,
        heartbeat: HeartbeatPolicy, retention: TimeInterval, metrics: HubMetrics
    ) {
        self.store = store
        self.live = live
        self.heartbeats = heartbeats
        self.clock = clock
        self.policy = policy
        self.heartbeat = heartbeat
        self.retention = retention
        self.metrics = metrics
    }

    /// When this instance last completed a pass.
    var lastPassAt: Date? { last.withLock { $0 } }

    /// Runs a pass after any pass already running here.
    func collect() async throws -> SLAPassSummary {
        _ = await gate.enter(waiting: true)
        defer { gate.leave() }
        return try await pass()
    }

    private func pass() async throws -> SLAPassSummary {
        let now = clock.now()
        // The online spells come from storage: first store what this instance has not yet.
        try await heartbeats.flush(at: now, everything: true)
        let window = DateInterval(start: now.addingTimeInterval(-policy.window), end: now)
        let members = live.members { $0.isListed }
        async let spellsByMiner = store.onlineSpells(overlapping: window)
        async let jobsByMiner = store.jobWindows(window)
        let (spells, jobs) = try await (spellsByMiner, jobsByMiner)

        var samples: [SLASample] = []
        var responseTimes: [MinerAddress: ResponseTimeSummary] = [:]
        for member in members {
            let address = member.miner.address
            // A miner is judged only over what the hub saw of it, and only once it has watched long enough.
            if let uptime = (spells[address] ?? OnlineSpells()).observedUptimePct(
                over: window, registeredAt: member.miner.registeredAt, seenBefore: member.status != nil,
                minObservation: policy.minObservation ?? heartbeat.ttl)
            {
                samples.append(policy.sample(.uptime, of: address, value: uptime, at: now))
            }
            let done = jobs[address] ?? JobWindow()
            if let times = done.responseTime {
                responseTimes[address] = times
                samples.append(policy.sample(.responseTime, of: address, value: times.meanMs, at: now))
            }
            if let rate = done.completionRatePct {
                samples.append(policy.sample(.completionRate, of: address, value: rate, at: now))
            }
        }
        let snapshots = CapacitySnapshot.measure(members, heartbeat: heartbeat, at: now)
        if let availability = snapshots[0].availabilityPct {
            samples.append(policy.sample(.capacityAvailability, of: nil, value: availability, at: now))
        }
        let outcome = try await store.recordSLAPass(
            SLAPassRecord(at: now, samples: samples, snapshots: snapshots, pruneBefore: now.addingTimeInterval(-retention)))
        metrics.recordSLAPass(samples: samples, responseTimes: responseTimes, opened: outcome.violationsOpened)
        last.withLock { $0 = max($0 ?? now, now) }
        return SLAPassSummary(
            minersProcessed: members.count, metricsRecorded: samples.count, violationsOpened: outcome.violationsOpened.count,
            violationsResolved: outcome.violationsResolved, capacity: snapshots[0])
    }
}
