public import Hummingbird
public import Logging
import PoolHubCore
import PoolHubLive
import PoolHubStore
public import ServiceLifecycle

/// The router with every route of the contract.
public func buildRouter(_ hub: Hub) -> Router<HubRequestContext> {
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: hub.metrics))
    router.add(middleware: ErrorMiddleware())
    router.addRoutes(OperationsController(hub: hub).endpoints)
    router.addRoutes(
        MinerController(registry: hub.registry, live: hub.live, access: hub.access, clock: hub.clock).endpoints,
        atPath: "/api/v1/miners")
    router.addRoutes(
        MatchController(matchmaker: hub.matchmaker, access: hub.access, defaultTenant: hub.configuration.defaultTenant).endpoints,
        atPath: "/api/v1")
    router.addRoutes(JobController(ledger: hub.ledger, access: hub.access, clock: hub.clock).endpoints, atPath: "/api/v1")
    let sla = SLAController(monitor: hub.sla, planner: hub.planner, store: hub.store, live: hub.live, access: hub.access, clock: hub.clock)
    router.addRoutes(sla.endpoints, atPath: "/sla")
    // The AITBC clients' paths: the same routes, and the CLI's summary.
    router.addRoutes(sla.endpoints, atPath: "/v1/sla")
    router.get("/v1/sla/status", use: sla.status)
    router.addRoutes(
        AITBCController(
            registry: hub.registry, matchmaker: hub.matchmaker, live: hub.live, access: hub.access, clock: hub.clock,
            defaultTenant: hub.configuration.defaultTenant
        ).endpoints, atPath: "/v1")
    router.addRoutes(BillingController(sync: hub.billing, access: hub.access).endpoints, atPath: "/sla/billing")
    router.addRoutes(BillingController(sync: hub.billing, access: hub.access).endpoints, atPath: "/v1/sla/billing")
    return router
}

/// The hub's background work. Every instance follows the others' changes (when hot state is
/// shared), competes for the scheduler lock and forgets expired reservations in its own view; only
/// the lock holder runs the schedulers (the score refresh that feeds the score cache, the SLA pass, the billing sync).
public func backgroundServices(_ hub: Hub, logger: Logger) -> [any Service] {
    let live = hub.live
    let clock = hub.clock
    let scheduler = hub.scheduler
    let sla = hub.sla
    var services: [any Service] = [
        BackgroundLoop(name: "scheduler-lock") { await scheduler.run() },
        PeriodicTask(name: "score-refresh", interval: .seconds(hub.configuration.scoring.updateInterval), logger: logger) {
            guard scheduler.isHeld else { return }
            await live.refreshScores(at: clock.now())
        },
        PeriodicTask(name: "sla-collection", interval: .seconds(hub.configuration.slaCollectionInterval), logger: logger) {
            guard scheduler.isHeld else { return }
            _ = try await sla.collect()
        },
        PeriodicTask(name: "reservation-expiry", interval: .seconds(5), logger: logger) {
            live.sweep(at: clock.now())
        },
        BillingSyncService(sync: hub.billing, scheduler: scheduler, clock: clock, logger: logger),
    ]
    if let shared = hub.shared {
        services.append(BackgroundLoop(name: "change-feed") { await shared.follow() })
    }
    return services
}

/// The whole server: HTTP, the optional metrics listener and background services in one service group.
public func buildApplication(_ hub: Hub, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
    -> some ApplicationProtocol
{
    var services = backgroundServices(hub, logger: logger)
    if let metricsPort = hub.configuration.metricsPort {
        let metricsRouter = Router(context: HubRequestContext.self)
        metricsRouter.addRoutes(OperationsController(hub: hub).endpoints)
        services.append(
            Application(
                router: metricsRouter,
                configuration: .init(address: .hostname(hub.configuration.host, port: metricsPort), serverName: "poolhub-metrics"),
                logger: logger))
    }
    if hub.configuration.apiKeys.isOpen {
        logger.warning("POOLHUB_API_KEYS is empty: the hub runs open, every caller may match and administer")
    }
    return Application(
        router: buildRouter(hub),
        configuration: .init(address: .hostname(hub.configuration.host, port: hub.configuration.port), serverName: "poolhub"),
        services: services,
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}
