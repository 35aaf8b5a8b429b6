// Health and status answers.

import Foundation
import PoolHubLive

/// The answer of `/health`: `checks` per dependency, and beside them the flat fields AITBC clients
/// read (`db`, `redis`, `miners_online`, `db_error`, `redis_error`).
struct HealthView: Encodable {
    struct Check: Encodable {
        var ok: Bool
        var latencyMs: Double?
        var error: String?
    }

    var status: String
    var checks: [String: Check]
    var minersOnline: Int

    init(_ health: HubOverview.Health) {
        status = health.ok ? "ok" : "degraded"
        checks = health.checks.mapValues { Check(ok: $0.ok, latencyMs: $0.latencyMs, error: $0.error) }
        minersOnline = health.minersOnline
    }

    enum CodingKeys: String, CodingKey { case status, checks, db, redis, minersOnline, dbError, redisError }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(checks, forKey: .checks)
        try c.encode(checks["database"]?.ok ?? false, forKey: .db)
        // Without REDIS_URL the hot state lives in process, which always answers.
        try c.encode(checks["redis"]?.ok ?? true, forKey: .redis)
        try c.encode(minersOnline, forKey: .minersOnline)
        // Explicit nulls: the clients read both fields.
        try c.encode(checks["database"]?.error, forKey: .dbError)
        try c.encode(checks["redis"]?.error, forKey: .redisError)
    }
}

/// The answer of `/api/v1/status`.
struct StatusView: Encodable {
    struct Storage: Encodable {
        var database: String
        var hotState: String
        /// Whether this instance runs the background schedulers (exactly one does).
        var scheduler: String
    }
    struct Miners: Encodable {
        var total: Int
        var online: Int
        var available: Int
    }
    struct Capacity: Encodable {
        var totalSlots: Int
        var usedSlots: Int
        var activeReservations: Int
    }
    struct Billing: Encodable {
        /// "on" with a COORDINATOR_BILLING_URL, else "off" (usage is still recorded).
        var sync: String
        /// The last pass of this instance.
        var lastSyncAt: Date?
        /// Usage records not yet acknowledged; absent when the database did not answer in time.
        var pending: Int?
    }

    var version: String
    var uptimeS: Int
    var storage: Storage
    var miners: Miners
    var capacity: Capacity
    var matchesServed: Int
    var lastSlaPass: Date?
    var lastBillingSync: Date?
    var billing: Billing

    init(_ s: HubOverview.Status, version: String) {
        self.version = version
        uptimeS = Int(s.uptime)
        storage = Storage(database: s.storage, hotState: s.hotState, scheduler: s.schedulerHeld ? "leader" : "follower")
        miners = Miners(total: s.fleet.total, online: s.fleet.online, available: s.fleet.available)
        capacity = Capacity(totalSlots: s.fleet.totalSlots, usedSlots: s.fleet.usedSlots, activeReservations: s.fleet.activeReservations)
        matchesServed = s.matchesServed
        lastSlaPass = s.lastSLAPass
        lastBillingSync = s.lastBillingSync
        billing = Billing(sync: s.billingSyncEnabled ? "on" : "off", lastSyncAt: s.lastBillingSync, pending: s.pendingUsage)
    }
}
