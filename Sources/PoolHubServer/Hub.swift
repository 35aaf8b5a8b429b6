public import Foundation
public import Logging
public import PoolHubCore
public import PoolHubLive
public import PoolHubStore
import RESP

/// The assembled hub: storage, hot state, the scheduler lock and the domain services over them.
public struct Hub: Sendable {
    public static let version = "0.1.0"

    public let configuration: HubConfiguration
    public let store: any HubStore
    public let live: any LiveState
    /// Held by exactly one instance: the one that runs the background schedulers.
    public let scheduler: any SchedulerLock
    public let clock: any HubClock
    public let startedAt: Date
    let metrics: HubMetrics
    let sla: SLAMonitor
    /// Counts match requests for billing (group commit).
    let meter: APICallMeter
    /// Sends the usage outbox to the coordinator.
    let billing: BillingSync
    let storageName: String
    let shared: SharedFleet?
    /// Runs the PostgreSQL pool. Storage must answer before any service starts (migrations, the
    /// first load), so the pool lives as long as the hub, not inside the service group.
    private let storeRunner: Task<Void, Never>?
    private let redis: RedisClient?

    var access: Access { Access(keys: configuration.apiKeys) }
    var registry: MinerRegistry {
        MinerRegistry(store: store, live: live, clock: clock, heartbeat: configuration.heartbeat)
    }
    var matchmaker: Matchmaker { Matchmaker(live: live, clock: clock, metrics: metrics, meter: meter) }
    var ledger: ResultLedger {
        ResultLedger(
            store: store, live: live, clock: clock, decay: configuration.scoring.decay,
            pricing: UsagePricing(prices: configuration.billing.prices), defaultTenant: configuration.defaultTenant)
    }
    var planner: CapacityPlanner {
        CapacityPlanner(
            store: store, clock: clock, horizonHours: configuration.capacityForecastHours,
            alertThresholdPct: configuration.capacityAlertThresholdPct)
    }
    var hotStateName: String { shared == nil ? "in_process" : "redis" }

    /// Opens storage, applies migrations and loads the fleet.
    public static func open(_ configuration: HubConfiguration, clock: any HubClock = SystemClock(), logger: Logger) async throws -> Hub {
        let store: any HubStore
        let scheduler: any SchedulerLock
        var storeRunner: Task<Void, Never>?
        let storageName: String
        switch configuration.storage {
        case .sqlite(let path):
            store = try SQLiteHubStore(path: path)
            scheduler = SoleInstanceLock()
            storageName = "sqlite"
        case .postgres(let location):
            let postgres = PostgresHubStore(
                location: location, maxConnections: configuration.databasePoolSize,
                connectionWait: .seconds(configuration.databaseTimeout), logger: logger)
            storeRunner = Task { await postgres.run() }
            store = postgres
            scheduler = PostgresSchedulerLock(
                location: location, retryInterval: .seconds(configuration.schedulerLockInterval), logger: logger)
            storageName = "postgresql"
        }
        do {
            let applied = try await store.migrate()
            if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
        } catch {
            storeRunner?.cancel()
            throw error
        }

        let scorer = Scorer(config: configuration.scoring, heartbeatTTL: configuration.heartbeatTTL)
        let source = StoredFleet(store: store, scorer: scorer, heartbeat: configuration.heartbeat, clock: clock)
        let fleet = InProcessFleet(
            settings: .init(scorer: scorer, heartbeat: configuration.heartbeat, reservationTTL: configuration.reservationTTL))
        var live: any LiveState = fleet
        var shared: SharedFleet?
        var redis: RedisClient?
        if let redisConfiguration = configuration.redis {
            let client = RedisClient(configuration: redisConfiguration, logger: logger)
            shared = SharedFleet(
                local: fleet, redis: client, namespace: configuration.redisNamespace, source: source, clock: clock, logger: logger)
            live = shared!
            redis = client
        } else if case .postgres = configuration.storage {
            logger.notice("REDIS_URL is not set: hot state stays in this process, so run only one hub instance on this database")
        }
        let metrics = HubMetrics()
        let sla = SLAMonitor(
            store: store, live: live, clock: clock, policy: configuration.sla, heartbeat: configuration.heartbeat,
            retention: configuration.slaRetention, metrics: metrics)
        let hub = Hub(
            configuration: configuration, store: store, live: live, scheduler: scheduler, clock: clock, startedAt: clock.now(),
            metrics: metrics, sla: sla,
            meter: APICallMeter(
                store: store, window: configuration.billing.apiCallWindow, defaultTenant: configuration.defaultTenant, logger: logger),
            billing: BillingSync(store: store, settings: configuration.billing, clock: clock, metrics: metrics, logger: logger),
            storageName: storageName, shared: shared, storeRunner: storeRunner, redis: redis)
        do {
            let members = try await source.fleet()
            live.load(members)
            logger.info("fleet loaded", metadata: ["miners": "\(members.count)", "in_grace": "\(members.count { $0.graceUntil != nil })"])
        } catch {
            await hub.close()
            throw error
        }
        return hub
    }

    /// Closes the connections to PostgreSQL and Redis (after the service group has stopped).
    public func close() async {
        await redis?.close()
        storeRunner?.cancel()
        _ = await storeRunner?.value
    }
}
