// Every setting of the hub, from the environment and .env.

package import Foundation
package import Logging
package import PoolHubCore
package import PoolHubStore
package import RESP

/// Every setting of the hub, from the environment (and a `.env` file, which the real environment overrides).
package struct HubConfiguration: Sendable {
    package enum Storage: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(PostgresLocation)
    }

    package var host = "0.0.0.0"
    package var port = 8000
    package var storage = Storage.sqlite(path: "data/poolhub.sqlite")
    /// Set: hot state in Redis, shared with every hub instance on the same namespace.
    package var redis: RedisConfiguration?
    /// Prefix of every Redis key and channel, so several hub deployments can share one Redis.
    package var redisNamespace = "poolhub"
    /// After Redis lost its data, how long reserving matches are refused while every instance writes back its reservations.
    package var redisRecoveryWindow: TimeInterval = 5
    package var databasePoolSize = 20
    /// How long a request waits for a database connection before it answers 503 (PostgreSQL).
    package var databaseTimeout: TimeInterval = 3
    /// How often an instance tries to become the scheduler holder (and checks it still is).
    package var schedulerLockInterval: TimeInterval = 5
    package var metricsPort: Int?
    package var logLevel = Logger.Level.info
    /// `text` (one readable line per event) or `json` (one JSON object per line, for Loki, Elasticsearch, journald).
    package var logFormat = LogFormat.text
    /// Seconds between the dashboard's history samples (the ring keeps `HistoryRing.capacity` of them).
    package var historySampleInterval: TimeInterval = 10
    package var scoring = ScoringConfig.standard
    package var heartbeatTTL: TimeInterval = 45
    package var reservationTTL: TimeInterval = 600
    /// A miner's heartbeat is stored at most this often, transitions aside (`HeartbeatPersistence`).
    package var heartbeatPersistInterval: TimeInterval = 60
    package var defaultTenant = "default"
    package var apiKeys = APIKeys()
    package var sla = SLAPolicy()
    package var slaCollectionInterval: TimeInterval = 300
    /// SLA samples, capacity snapshots and online spells older than this are deleted.
    package var slaRetention: TimeInterval = 30 * 86_400
    package var capacityForecastHours = 168
    package var capacityAlertThresholdPct = 80.0
    package var billing = BillingConfiguration()

    package init() {}

    package var heartbeat: HeartbeatPolicy { HeartbeatPolicy(ttl: heartbeatTTL) }

    /// Reads the settings; the first bad one throws, naming its key.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> HubConfiguration {
        var c = HubConfiguration()
        let env = EnvironmentReader(values: environment)
        c.host = env.string("API_HOST") ?? c.host
        c.port = try env.int("API_PORT", 0...65_535) ?? c.port
        c.metricsPort = try env.int("METRICS_PORT", 0...65_535)
        if let level = env.string("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
            }
            c.logLevel = parsed
        }
        if let format = env.string("LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else { throw ConfigurationError("LOG_FORMAT", "must be text or json") }
            c.logFormat = parsed
        }
        c.historySampleInterval = try env.double("HISTORY_SAMPLE_SECONDS", 1...3_600) ?? c.historySampleInterval
        if let url = env.string("DATABASE_URL") { c.storage = try storage(from: url) }
        c.databasePoolSize = try env.int("DATABASE_POOL_SIZE", 1...1_000) ?? c.databasePoolSize
        c.databaseTimeout = try env.double("DATABASE_TIMEOUT_SECONDS", 0.1...600) ?? c.databaseTimeout
        if let url = env.string("REDIS_URL") {
            do {
                c.redis = try RedisConfiguration(url: url)
            } catch {
                throw ConfigurationError("REDIS_URL", "\(error)")
            }
            guard case .postgres = c.storage else {
                throw ConfigurationError(
                    "REDIS_URL", "shares hot state between hub instances, which must then share a database too: set DATABASE_URL=postgresql://…")
            }
        }
        if let namespace = env.string("REDIS_NAMESPACE") {
            guard (1...64).contains(namespace.utf8.count), namespace.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw ConfigurationError("REDIS_NAMESPACE", "must be 1..64 printable characters without spaces")
            }
            c.redisNamespace = namespace
        }
        c.redisRecoveryWindow = try env.double("REDIS_RECOVERY_SECONDS", 0...600) ?? c.redisRecoveryWindow
        c.schedulerLockInterval = try env.double("SCHEDULER_LOCK_INTERVAL_SECONDS", 0.05...600) ?? c.schedulerLockInterval

        let scoringPath = env.string("SCORING_CONFIG") ?? "config/scoring.toml"
        if let text = try? String(contentsOfFile: scoringPath, encoding: .utf8) {
            c.scoring = try ScoringFile.parse(text, file: scoringPath)
        } else if env.string("SCORING_CONFIG") != nil {
            throw ConfigurationError("SCORING_CONFIG", "names \(scoringPath), which cannot be read")
        }
        c.scoring.updateInterval = try env.double("SCORE_UPDATE_INTERVAL", 1...86_400) ?? c.scoring.updateInterval
        c.scoring.maxScore = try env.double("MAX_MINER_SCORE", 0.000_001...1_000_000) ?? c.scoring.maxScore
        c.scoring.thresholds.minSuccessRate = try env.double("MIN_SUCCESS_RATE", 0...1) ?? c.scoring.thresholds.minSuccessRate

        c.heartbeatTTL = try env.double("HEARTBEAT_TTL_SECONDS", 1...86_400) ?? c.heartbeatTTL
        c.reservationTTL = try env.double("RESERVATION_TTL_SECONDS", 1...604_800) ?? c.reservationTTL
        c.heartbeatPersistInterval = try env.double("HEARTBEAT_PERSIST_SECONDS", 0...86_400) ?? c.heartbeatPersistInterval
        if let tenant = env.string("DEFAULT_TENANT") {
            guard (1...128).contains(tenant.count) else { throw ConfigurationError("DEFAULT_TENANT", "must be 1..128 characters") }
            c.defaultTenant = tenant
        }
        c.apiKeys = try APIKeys.parse(env.string("POOLHUB_API_KEYS") ?? "")

        c.sla.uptimePct = try env.double("SLA_UPTIME_THRESHOLD", 0...100) ?? c.sla.uptimePct
        c.sla.responseTimeMs = try env.double("SLA_RESPONSE_TIME_THRESHOLD", 1...86_400_000) ?? c.sla.responseTimeMs
        c.sla.completionRatePct = try env.double("SLA_COMPLETION_RATE_THRESHOLD", 0...100) ?? c.sla.completionRatePct
        c.sla.capacityAvailabilityPct = try env.double("SLA_CAPACITY_THRESHOLD", 0...100) ?? c.sla.capacityAvailabilityPct
        c.sla.window = try env.double("SLA_WINDOW_HOURS", 0.1...8_760).map { $0 * 3_600 } ?? c.sla.window
        c.sla.minObservation = try env.double("SLA_MIN_OBSERVATION_SECONDS", 0...8_760 * 3_600) ?? c.sla.minObservation
        c.slaCollectionInterval = try env.double("SLA_COLLECTION_INTERVAL_SECONDS", 1...86_400) ?? c.slaCollectionInterval
        c.slaRetention = try env.double("SLA_RETENTION_DAYS", 1...3_650).map { $0 * 86_400 } ?? c.slaRetention
        c.capacityForecastHours = try env.int("CAPACITY_FORECAST_HOURS", 1...8_760) ?? c.capacityForecastHours
        c.capacityAlertThresholdPct = try env.double("CAPACITY_ALERT_THRESHOLD_PCT", 0.1...100) ?? c.capacityAlertThresholdPct
        c.billing = try BillingConfiguration.load(env)
        return c
    }

    private static func storage(from url: String) throws(ConfigurationError) -> Storage {
        for scheme in ["sqlite://", "sqlite:"] where url.hasPrefix(scheme) {
            let path = String(url.dropFirst(scheme.count))
            guard !path.isEmpty else { throw ConfigurationError("DATABASE_URL", "names no SQLite file (sqlite:PATH)") }
            return .sqlite(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            do {
                return .postgres(try PostgresLocation(url: url))
            } catch {
                throw ConfigurationError("DATABASE_URL", "\(error)")
            }
        }
        throw ConfigurationError(
            "DATABASE_URL", "must be postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE or sqlite:PATH (unset: data/poolhub.sqlite)")
    }

    /// `KEY=VALUE` lines of a `.env` file: `#` comments, optional `export`, optional quotes.
    package static func parseDotEnv(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}
