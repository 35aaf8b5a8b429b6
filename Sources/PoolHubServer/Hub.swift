public import Foundation
public import Logging
public import PoolHubCore
public import PoolHubLive
public import PoolHubStore

/// The assembled hub: storage, hot state and the domain services over them.
public struct Hub: Sendable {
    public static let version = "0.1.0"

    public let configuration: HubConfiguration
    public let store: any HubStore
    public let live: any LiveState
    public let clock: any HubClock
    public let startedAt: Date
    let metrics: HubMetrics
    let storageName: String

    var access: Access { Access(keys: configuration.apiKeys) }
    var registry: MinerRegistry {
        MinerRegistry(store: store, live: live, clock: clock, heartbeat: configuration.heartbeat)
    }
    var matchmaker: Matchmaker { Matchmaker(live: live, clock: clock, metrics: metrics) }
    var ledger: ResultLedger { ResultLedger(store: store, live: live, clock: clock, decay: configuration.scoring.decay) }

    /// Opens storage, applies migrations and loads the fleet.
    public static func open(_ configuration: HubConfiguration, clock: any HubClock = SystemClock(), logger: Logger) async throws -> Hub {
        let store: any HubStore
        let storageName: String
        switch configuration.storage {
        case .sqlite(let path):
            store = try SQLiteHubStore(path: path)
            storageName = "sqlite"
        }
        let applied = try await store.migrate()
        if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
        let live = InProcessFleet(
            settings: .init(
                scorer: Scorer(config: configuration.scoring, heartbeatTTL: configuration.heartbeatTTL),
                heartbeat: configuration.heartbeat, reservationTTL: configuration.reservationTTL))
        let hub = Hub(
            configuration: configuration, store: store, live: live, clock: clock, startedAt: clock.now(), metrics: HubMetrics(),
            storageName: storageName)
        try await hub.restoreFleet(logger: logger)
        return hub
    }

    /// Loads every miner from storage. Miners that were online when the hub stopped get one
    /// heartbeat TTL of grace, and the time the hub was down counts neither for nor against them.
    func restoreFleet(logger: Logger) async throws {
        let stored = try await store.loadMiners()
        let now = clock.now()
        let heartbeat = configuration.heartbeat
        let scorer = Scorer(config: configuration.scoring, heartbeatTTL: heartbeat.ttl)
        let lastSeen = stored.compactMap(\.status?.lastHeartbeatAt).max()
        var graced = 0
        let members = stored.map { s -> FleetMember in
            var uptime = s.uptime
            var graceUntil: Date?
            if s.deregisteredAt == nil, let beat = s.status?.lastHeartbeatAt, let lastSeen,
                heartbeat.isOnline(lastHeartbeatAt: beat, at: lastSeen)
            {
                graceUntil = heartbeat.expiry(of: now)
                uptime = uptime.extended(to: min(now, heartbeat.expiry(of: beat)), ttl: heartbeat.ttl, decay: scorer.config.decay)
                    .skipping(to: now)
                graced += 1
            }
            return FleetMember(
                miner: s.miner, credential: s.credential, stats: s.stats, uptime: uptime, status: s.status,
                graceUntil: graceUntil, card: scorer.card(stats: s.stats, uptime: uptime, stake: s.miner.stake, at: now),
                deregisteredAt: s.deregisteredAt)
        }
        live.load(members)
        logger.info("fleet loaded", metadata: ["miners": "\(members.count)", "in_grace": "\(graced)"])
    }
}
