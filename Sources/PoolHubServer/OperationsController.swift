import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// `/health` (also at `/v1/health`, where AITBC clients ask), `/api/v1/status`, `/metrics`, `/openapi.json`.
struct OperationsController {
    let hub: Hub

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("health", use: health)
        routes.get("v1/health", use: health)
        routes.get("api/v1/status", use: status)
        routes.get("metrics", use: metrics)
        routes.get("openapi.json", use: openAPI)
        return routes
    }

    /// 200 `ok` when every configured dependency answers; 503 `degraded` naming the one that does not.
    /// Beside `checks`, the flat fields AITBC clients read: `db`, `redis`, `miners_online`, `db_error`, `redis_error`.
    @Sendable func health(_ request: Request, context: HubRequestContext) async throws -> Response {
        struct Check: Encodable {
            var ok: Bool
            var latencyMs: Double?
            var error: String?
        }
        struct Health: Encodable {
            var status: String
            var checks: [String: Check]
            var minersOnline: Int

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
        var checks: [String: Check] = [:]
        let started = ContinuousClock.now
        do {
            try await hub.store.ping()
            checks["database"] = Check(ok: true, latencyMs: Self.milliseconds(ContinuousClock.now - started))
        } catch {
            context.logger.warning("database health check failed", metadata: ["error": "\(error)"])
            checks["database"] = Check(ok: false, error: "database did not answer: \(error)")
        }
        if let redis = await hub.live.sharedStateCheck() {
            checks["redis"] = Check(ok: redis.ok, latencyMs: redis.latencyMs.map { ($0 * 1000).rounded() / 1000 }, error: redis.error)
        }
        let ok = checks.values.allSatisfy(\.ok)
        let online = hub.live.summary(at: hub.clock.now()).online
        var response = try JSONResponse.make(
            Health(status: ok ? "ok" : "degraded", checks: checks, minersOnline: online), status: ok ? .ok : .serviceUnavailable)
        if !ok { response.headers[.retryAfter] = "5" }
        return response
    }

    private static func milliseconds(_ d: Duration) -> Double { ((d / .microseconds(1)) / 1000 * 1000).rounded() / 1000 }

    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        struct Status: Encodable {
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
            var version: String
            var uptimeS: Int
            var storage: Storage
            var miners: Miners
            var capacity: Capacity
            struct Billing: Encodable {
                /// "on" with a COORDINATOR_BILLING_URL, else "off" (usage is still recorded).
                var sync: String
                /// The last pass of this instance.
                var lastSyncAt: Date?
                /// Usage records not yet acknowledged; absent when the database did not answer in time.
                var pending: Int?
            }
            var matchesServed: Int
            var lastSlaPass: Date?
            var lastBillingSync: Date?
            var billing: Billing
        }
        let now = hub.clock.now()
        let s = hub.live.summary(at: now)
        let lastSync = hub.billing.lastSyncAt
        let pending = await hub.billing.pendingCount(within: .seconds(1))
        return try JSONResponse.make(
            Status(
                version: Hub.version, uptimeS: Int(now.timeIntervalSince(hub.startedAt)),
                storage: .init(
                    database: hub.storageName, hotState: hub.hotStateName, scheduler: hub.scheduler.isHeld ? "leader" : "follower"),
                miners: .init(total: s.total, online: s.online, available: s.available),
                capacity: .init(totalSlots: s.totalSlots, usedSlots: s.usedSlots, activeReservations: s.activeReservations),
                matchesServed: hub.metrics.matchesServed, lastSlaPass: hub.sla.lastPassAt, lastBillingSync: lastSync,
                billing: .init(sync: hub.configuration.billing.syncEnabled ? "on" : "off", lastSyncAt: lastSync, pending: pending)))
    }

    @Sendable func metrics(_ request: Request, context: HubRequestContext) async throws -> Response {
        if let pending = await hub.billing.pendingCount(within: .seconds(1)) { hub.metrics.setOutboxPending(pending) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: hub.metrics.exposition(live: hub.live, at: hub.clock.now()))))
    }

    @Sendable func openAPI(_ request: Request, context: HubRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try OpenAPIDocument.json())))
    }
}
