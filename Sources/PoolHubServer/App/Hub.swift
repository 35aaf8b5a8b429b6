// The assembled hub: storage, hot state, scheduler lock and the services over them.

package import Foundation
package import Logging
package import PoolHubCore
package import PoolHubLive
package import PoolHubStore
import RESP
package import ServiceLifecycle

/// The assembled hub: storage, hot state, the scheduler lock and the domain services over them.
package struct Hub: Sendable {
    package static let version = "0.1.0"

    package let configuration: HubConfiguration
    package let store: any HubStore
    package let live: any LiveState
    /// Held by exactly one instance: the one that runs the background schedulers.
    package let scheduler: any SchedulerLock
    package let clock: any HubClock
    package let startedAt: Date
    let metrics: HubMetrics
    let sla: SLAMonitor
    /// When heartbeats reach storage.
    let heartbeats: HeartbeatPersistence
    /// Counts match requests for billing (group commit).
    let meter: APICallMeter
    /// Sends the usage outbox to the coordinator.
    let billing: BillingSync
    let storageName: String
    let shared: SharedFleet?
    /// The dashboard's recent history, and what samples it.
    let history: HistorySampler
    /// Warnings for refused and failed requests, rate-limited.
    let rejections = RejectionLog()
    /// Storage that runs as a service of its own (PostgreSQL's connection pool); empty for SQLite.
    package let storageServices: [any Service]
    /// Brings up the storage services when the hub runs outside a service group (`open`).
    private let standalone: ServiceGroup?
    private let redis: RedisClient?
    private let logger: Logger

    var access: Access { Access(keys: configuration.apiKeys) }
    var registry: MinerRegistry {
        MinerRegistry(
            store: store, live: live, clock: clock, heartbeat: configuration.heartbeat, decay: configuration.scoring.decay,
            persistence: heartbeats, metrics: metrics)
    }
    var matchmaker: Matchmaker { Matchmaker(live: live, clock: clock, metrics: metrics, meter: meter) }
    var results: ResultRecorder {
        ResultRecorder(
            store: store, live: live, clock: clock, decay: configuration.scoring.decay,
            thresholds: configuration.scoring.thresholds, pricing: UsagePricing(prices: configuration.billing.prices),
            defaultTenant: configuration.defaultTenant)
    }
    var standingReview: StandingReview {
        StandingReview(store: store, live: live, clock: clock, thresholds: configuration.scoring.thresholds, logger: logger)
    }
    var planner: CapacityPlanner {
        CapacityPlanner(
            store: store, clock: clock, horizonHours: configuration.capacityForecastHours,
            alertThresholdPct: configuration.capacityAlertThresholdPct)
    }
    var fleetHistory: FleetHistory {
        FleetHistory(
            sampler: history, live: live, clock: clock,
            sampleInterval: configuration.historySampleInterval, capacityAlertThresholdPct: configuration.capacityAlertThresholdPct)
    }
    var hotStateName: String { shared == nil ? "in_process" : "redis" }
    /// `embedded` (SQLite, in process), `single` (PostgreSQL, in process: one instance) or `shared` (PostgreSQL + Redis).
    var modeName: String { shared != nil ? "shared" : (storageName == "sqlite" ? "embedded" : "single") }
    var log: Logger { logger }

    /// Assembles the hub; nothing is opened yet. Storage answers once `storageServices` run (in the
    /// application's service group: see `HubService`), and `start()` then readies the hub.
    package init(_ configuration: HubConfiguration, clock: any HubClock = SystemClock(), logger: Logger) throws {
        try self.init(configuration, clock: clock, logger: logger, standalone: false)
    }

    /// A hub ready to serve outside a service group (tests, `poolhub migrate`): its storage services
    /// run in a group of their own until `close()`.
    package static func open(_ configuration: HubConfiguration, clock: any HubClock = SystemClock(), logger: Logger) async throws -> Hub {
        let hub = try Hub(configuration, clock: clock, logger: logger, standalone: true)
        if let group = hub.standalone { Task { try await group.run() } }
        do {
            try await hub.start()
        } catch {
            await hub.close()
            throw error
        }
        return hub
    }

    private init(_ configuration: HubConfiguration, clock: any HubClock, logger: Logger, standalone: Bool) throws {
        let store: any HubStore
        let scheduler: any SchedulerLock
        var storageServices: [any Service] = []
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
            storageServices.append(postgres)
            store = postgres
            scheduler = PostgresSchedulerLock(
                location: location, retryInterval: .seconds(configuration.schedulerLockInterval), logger: logger)
            storageName = "postgresql"
        }

        let scorer = Scorer(config: configuration.scoring, heartbeatTTL: configuration.heartbeatTTL)
        let fleet = InProcessFleet(
            policy: .init(scorer: scorer, heartbeat: configuration.heartbeat, reservationTTL: configuration.reservationTTL))
        var live: any LiveState = fleet
        var shared: SharedFleet?
        var redis: RedisClient?
        if let redisConfiguration = configuration.redis {
            let client = RedisClient(configuration: redisConfiguration, logger: logger)
            let source = StoredFleet(
                store: store, scorer: scorer, heartbeat: configuration.heartbeat,
                persistInterval: HeartbeatPersistence.lag(coalescing: configuration.heartbeatPersistInterval),
                clock: clock)
            shared = SharedFleet(
                local: fleet, redis: client, namespace: configuration.redisNamespace, source: source, clock: clock,
                recoveryWindow: .seconds(configuration.redisRecoveryWindow), logger: logger)
            live = shared!
            redis = client
        } else if case .postgres = configuration.storage {
            logger.notice("REDIS_URL is not set: hot state stays in this process, so run only one hub instance on this database")
        }
        let metrics = HubMetrics()
        let heartbeats = HeartbeatPersistence(
            store: store, live: live, heartbeat: configuration.heartbeat, interval: configuration.heartbeatPersistInterval)
        self.heartbeats = heartbeats
        self.configuration = configuration
        self.store = store
        self.live = live
        self.scheduler = scheduler
        self.clock = clock
        self.startedAt = clock.now()
        self.metrics = metrics
        self.sla = SLAMonitor(
            store: store, live: live, heartbeats: heartbeats, clock: clock, policy: configuration.sla, heartbeat: configuration.heartbeat,
            retention: configuration.slaRetention, metrics: metrics)
        self.meter = APICallMeter(
            store: store, window: configuration.billing.apiCallWindow, defaultTenant: configuration.defaultTenant, clock: clock,
            logger: logger)
        self.billing = BillingSync(store: store, configuration: configuration.billing, clock: clock, metrics: metrics, logger: logger)
        self.storageName = storageName
        self.shared = shared
        self.history = HistorySampler(ring: HistoryRing(), metrics: metrics, live: live, clock: clock)
        self.storageServices = storageServices
        self.standalone =
            standalone && !storageServices.isEmpty
            ? ServiceGroup(configuration: .init(services: storageServices.map { .init(service: $0) }, logger: logger)) : nil
        self.redis = redis
        self.logger = logger
    }

    /// Applies migrations and loads the fleet; storage must be answering.
    package func start() async throws {
        let applied = try await store.migrate()
        if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
        let scorer = Scorer(config: configuration.scoring, heartbeatTTL: configuration.heartbeatTTL)
        let members = try await StoredFleet(
            store: store, scorer: scorer, heartbeat: configuration.heartbeat,
            persistInterval: HeartbeatPersistence.lag(coalescing: configuration.heartbeatPersistInterval), clock: clock
        ).fleet()
        live.load(members, at: clock.now())
        // Debug only: the start-up line says the fleet's size.
        logger.debug("fleet loaded", metadata: ["miners": "\(members.count)", "in_grace": "\(members.count { $0.graceUntil != nil })"])
    }

    /// Closes the connection to Redis and, for a hub from `open`, stops its storage services.
    package func close() async {
        await redis?.close()
        await standalone?.triggerGracefulShutdown()
    }
}
