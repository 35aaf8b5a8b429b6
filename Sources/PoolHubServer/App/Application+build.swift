// Assembly: the router, the background services, the application and its service group.

package import Hummingbird
package import Logging
import PoolHubCore
import PoolHubLive
import PoolHubStore
package import ServiceLifecycle
import UnixSignals

/// The router with every route of the contract.
package func buildRouter(_ hub: Hub) -> Router<HubRequestContext> {
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: hub.metrics))
    router.add(middleware: ErrorMiddleware(rejections: hub.rejections))
    router.add(middleware: StrictQueryMiddleware())
    router.add(middleware: StoreDeadlineMiddleware(timeout: .seconds(hub.configuration.databaseTimeout)))
    router.addRoutes(OperationsController(overview: HubOverview(hub: hub)).endpoints)
    router.addRoutes(DashboardController(history: hub.fleetHistory, access: hub.access).endpoints)
    router.addRoutes(
        MinerController(registry: hub.registry, access: hub.access, clock: hub.clock).endpoints, atPath: "/api/v1/miners")
    router.addRoutes(
        MatchController(matchmaker: hub.matchmaker, access: hub.access, defaultTenant: hub.configuration.defaultTenant).endpoints,
        atPath: "/api/v1")
    router.addRoutes(JobController(recorder: hub.results, access: hub.access, clock: hub.clock).endpoints, atPath: "/api/v1")
    let sla = SLAController(
        reports: SLAReports(store: hub.store, live: hub.live, clock: hub.clock), monitor: hub.sla, planner: hub.planner, access: hub.access)
    router.addRoutes(sla.endpoints, atPath: "/sla")
    // The AITBC clients' paths: the same routes, and the CLI's summary.
    router.addRoutes(sla.endpoints, atPath: "/v1/sla")
    router.get("/v1/sla/status", use: sla.status)
    router.addRoutes(
        AITBCController(
            registry: hub.registry, matchmaker: hub.matchmaker, access: hub.access, clock: hub.clock,
            defaultTenant: hub.configuration.defaultTenant
        ).endpoints, atPath: "/v1")
    let billing = BillingController(sync: hub.billing, access: hub.access)
    router.addRoutes(billing.endpoints, atPath: "/sla/billing")
    router.addRoutes(billing.endpoints, atPath: "/v1/sla/billing")
    return router
}

/// The hub's background work. Every instance follows the others' changes (when hot state is
/// shared), competes for the scheduler lock and forgets expired reservations in its own view; only
/// the lock holder runs the schedulers (the score refresh that feeds the score cache, the SLA pass, the billing sync).
package func backgroundServices(_ hub: Hub, logger: Logger) -> [any Service] {
    let live = hub.live
    let clock = hub.clock
    let scheduler = hub.scheduler
    let sla = hub.sla
    let heartbeats = hub.heartbeats
    let review = hub.standingReview
    var services: [any Service] = [
        BackgroundLoop(name: "scheduler-lock") { await scheduler.run() },
        PeriodicTask(name: "score-refresh", interval: .seconds(hub.configuration.scoring.updateInterval), logger: logger) {
            guard scheduler.isHeld else { return }
            await live.refreshScores(at: clock.now())
            try await review.run()
        },
        PeriodicTask(name: "sla-collection", interval: .seconds(hub.configuration.slaCollectionInterval), logger: logger) {
            guard scheduler.isHeld else { return }
            _ = try await sla.collect()
        },
        // Expiries come due in the hot state by time; this also stores them and the coalesced heartbeats.
        PeriodicTask(
            name: "heartbeat-persistence", interval: .seconds(HeartbeatPersistence.flushPeriod), logger: logger,
            atShutdown: { try await heartbeats.flush(at: clock.now(), everything: true) }
        ) {
            try await heartbeats.flush(at: clock.now())
        },
        // Every instance keeps its own history: the dashboard shows the instance it is served by.
        PeriodicTask(name: "history-sample", interval: .seconds(hub.configuration.historySampleInterval), logger: logger) {
            [history = hub.history] in history.sample()
        },
        BillingSyncService(sync: hub.billing, scheduler: scheduler, clock: clock, logger: logger),
    ]
    if let shared = hub.shared {
        services.append(BackgroundLoop(name: "change-feed") { await shared.follow() })
        services.append(BackgroundLoop(name: "redis-epoch") { await shared.watchEpoch() })
    }
    return services
}

/// The whole server: HTTP, the optional metrics listener and background services in one service group.
package func buildApplication(
    _ hub: Hub, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
)
    -> some ApplicationProtocol
{
    var services = backgroundServices(hub, logger: logger)
    // The server's own info lines ("Server started…", "Shutting down") would repeat ours: at the default
    // level it says only what matters; LOG_LEVEL=debug shows everything.
    var serverLogger = logger
    if serverLogger.logLevel == .info { serverLogger.logLevel = .notice }
    if let metricsPort = hub.configuration.metricsPort {
        let metricsRouter = Router(context: HubRequestContext.self)
        metricsRouter.addRoutes(OperationsController(overview: HubOverview(hub: hub)).endpoints)
        services.append(
            Application(
                router: metricsRouter,
                configuration: .init(address: .hostname(hub.configuration.host, port: metricsPort), serverName: "poolhub-metrics"),
                logger: serverLogger))
    }
    if hub.configuration.apiKeys.isOpen {
        logger.warning("POOLHUB_API_KEYS is empty: the hub runs open, every caller may match and administer")
    }
    let host = hub.configuration.host
    return Application(
        router: buildRouter(hub),
        configuration: .init(address: .hostname(host, port: hub.configuration.port), serverName: "poolhub"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? 0
            logger.notice("poolhub started", metadata: startupMetadata(hub, address: "\(host):\(port)"))
            await onRunning(port)
        },
        logger: serverLogger)
}

/// What the start-up line says: mode, storage, hot state, keys on or off, fleet size, the address.
func startupMetadata(_ hub: Hub, address: String) -> Logger.Metadata {
    [
        "mode": .string(hub.modeName), "storage": .string(hub.storageName), "hot_state": .string(hub.hotStateName),
        "api_keys": .string(hub.configuration.apiKeys.isOpen ? "off" : "on"),
        "miners": .stringConvertible(hub.live.summary(at: hub.clock.now()).total), "address": .string(address),
        "version": .string(Hub.version),
    ]
}

/// The hub and its storage in one service group that shuts down gracefully on SIGTERM and SIGINT:
/// storage first (PostgreSQL's pool), then the hub, which starts once storage answers and stops first.
package func buildServiceGroup(_ hub: Hub, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
    let services = hub.storageServices + [HubService(hub: hub, application: buildApplication(hub, logger: logger, onRunning: onRunning))]
    return ServiceGroup(
        configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
}

/// The hub's storage and one `start()` (migrations applied), in a service group that ends once it is done.
package func buildMigrationGroup(_ hub: Hub, logger: Logger) -> ServiceGroup {
    let storage = hub.storageServices.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
    let migration = ServiceGroupConfiguration.ServiceConfiguration(
        service: HubService(hub: hub, application: nil),
        successTerminationBehavior: .gracefullyShutdownGroup)
    return ServiceGroup(configuration: .init(services: storage + [migration], logger: logger))
}

/// Readies the hub (migrations, the fleet) once storage answers, then runs HTTP and the background services.
struct HubService: Service {
    let hub: Hub
    /// nil: only ready the hub (`poolhub migrate`).
    let application: (any Service)?

    func run() async throws {
        try await hub.start()
        guard let application else { return }
        let logger = hub.log
        try await withGracefulShutdownHandler {
            try await application.run()
        } onGracefulShutdown: {
            logger.notice("shutting down")
        }
    }
}
