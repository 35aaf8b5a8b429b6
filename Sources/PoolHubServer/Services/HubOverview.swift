// The hub's health, status and metrics, gathered.

import Foundation
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// How the hub is doing: its dependencies' health, the fleet's counts, and what its background work did last.
struct HubOverview: Sendable {
    let hub: Hub

    /// One dependency's answer to a health check.
    struct Check: Sendable {
        var ok: Bool
        var latencyMs: Double?
        var error: String?
    }

    struct Health: Sendable {
        /// "database", and "redis" when hot state is shared.
        var checks: [String: Check]
        var minersOnline: Int
        var ok: Bool { checks.values.allSatisfy(\.ok) }
    }

    struct Status: Sendable {
        var uptime: TimeInterval
        var storage: String
        var hotState: String
        var schedulerHeld: Bool
        var fleet: FleetSummary
        var matchesServed: Int
        var lastSLAPass: Date?
        var billingSyncEnabled: Bool
        var lastBillingSync: Date?
        /// Usage records not yet acknowledged; nil when the database did not answer within a second.
        var pendingUsage: Int?
    }

    /// Asks every configured dependency.
    func health() async -> Health {
        var checks: [String: Check] = [:]
        let started = ContinuousClock.now
        do {
            try await hub.store.ping()
            checks["database"] = Check(ok: true, latencyMs: ((ContinuousClock.now - started).inMilliseconds * 1000).rounded() / 1000)
        } catch {
            checks["database"] = Check(ok: false, error: "database did not answer: \(error)")
        }
        if let redis = await hub.live.sharedStateCheck() {
            checks["redis"] = Check(ok: redis.ok, latencyMs: redis.latencyMs.map { ($0 * 1000).rounded() / 1000 }, error: redis.error)
        }
        return Health(checks: checks, minersOnline: hub.live.summary(at: hub.clock.now()).online)
    }

    func status() async -> Status {
        let now = hub.clock.now()
        return Status(
            uptime: now.timeIntervalSince(hub.startedAt), storage: hub.storageName, hotState: hub.hotStateName,
            schedulerHeld: hub.scheduler.isHeld, fleet: hub.live.summary(at: now), matchesServed: hub.metrics.matchesServed,
            lastSLAPass: hub.sla.lastPassAt, billingSyncEnabled: hub.configuration.billing.syncEnabled,
            lastBillingSync: hub.billing.lastSyncAt, pendingUsage: await hub.billing.pendingCount(within: .seconds(1)))
    }

    /// The Prometheus exposition, the outbox gauge refreshed first when the database answers within a second
    /// (its answer also says whether the database is up), and Redis asked when hot state is shared.
    func metrics() async -> [UInt8] {
        let pending = await hub.billing.pendingCount(within: .seconds(1))
        if let pending { hub.metrics.setOutboxPending(pending) }
        hub.metrics.setDependencyUp("database", pending != nil)
        if let redis = await hub.live.sharedStateCheck() { hub.metrics.setDependencyUp("redis", redis.ok) }
        hub.metrics.setCapacityAlertThreshold(pct: hub.configuration.capacityAlertThresholdPct)
        return hub.metrics.exposition(live: hub.live, at: hub.clock.now())
    }
}
