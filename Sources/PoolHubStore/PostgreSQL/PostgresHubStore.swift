// The PostgreSQL store (a Service running its connection pool).

package import Foundation
package import Logging
package import PoolHubCore
import PostgresNIO
package import ServiceLifecycle
import Synchronization

/// The production store: PostgreSQL through a pool of connections (postgres-nio's `PostgresClient`).
///
/// Behaves exactly like `SQLiteHubStore`; several hub instances may share one database.
package final class PostgresHubStore: HubStore, Service {
    let client: PostgresClient
    let logger: Logger
    /// How long a request may wait for a connection before the database counts as unavailable.
    let connectionWait: Duration
    /// When a lease last found the server answering (ns since `epoch`). While leases keep succeeding
    /// the pool is only busy and a caller waits its turn (up to its deadline); when none has for
    /// `connectionWait`, the server counts as unreachable.
    let lastLease = Atomic<Int64>(Int64.min / 2)
    let epoch = ContinuousClock.now
    /// The bound of storage work outside a request (migrations, passes, group-commit writes).
    let backgroundLimit: Duration = .seconds(60)
    let statusWriter = StatusWriter(.failCallers, clock: SystemClock())

    /// Held (per transaction) while migrating, so that instances starting together apply each migration once.
    static let migrationLockKey: Int64 = 0x506F_6F6C_4875_6201  // "PoolHub" + 1

    package init(location: PostgresLocation, maxConnections: Int = 20, connectionWait: Duration = .seconds(3), logger: Logger) {
        var configuration = location.clientConfiguration(connectTimeout: connectionWait)
        configuration.options.maximumConnections = maxConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.connectionWait = connectionWait
    }

    /// Runs the connection pool, as a service of the hub's service group; queries need it running.
    /// Returns when the task is cancelled or the group shuts down.
    package func run() async {
        await client.run()
    }

    @discardableResult package func migrate() async throws -> [Int] {
        try await withTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: self.logger)
            try await connection.query(PostgresQuery(unsafeSQL: Migration.postgresLedger), logger: self.logger)
            let rows = try await connection.query("SELECT version FROM schema_migrations", logger: self.logger).collect()
            let applied = Set(try rows.map { try $0.decode(Int.self) })
            var now: [Int] = []
            for migration in Migration.all where !applied.contains(migration.version) {
                for statement in migration.postgres {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(migration.version), \(migration.name), \(Date().timeIntervalSince1970))
                    """, logger: self.logger)
                now.append(migration.version)
            }
            return now
        }
    }

    package func loadMiners() async throws -> [StoredMiner] {
        try await withConnection { connection in
            let query = PostgresQuery(unsafeSQL: StoredMinerQuery.select + " ORDER BY m.address")
            return try await connection.query(query, logger: self.logger).collect().map(Self.storedMiner)
        }
    }

    package func loadMiner(_ address: MinerAddress) async throws -> StoredMiner? {
        try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: StoredMinerQuery.select + " WHERE m.address = $1")
            query.binds.append(address.value)
            return try await connection.query(query, logger: self.logger).collect().first.map(Self.storedMiner)
        }
    }

    package func minerAddress(withKey lookup: [UInt8]) async throws -> MinerAddress? {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT address FROM miners WHERE key_lookup = \(Data(lookup))", logger: self.logger
            ).collect()
            return try rows.first.flatMap { MinerAddress(try $0.decode(String.self)) }
        }
    }

    package func insertMiner(_ miner: Miner, credential: MinerCredential, stats: MinerStats) async throws -> Bool {
        let profile = try Profile(miner, credential: credential)
        return try await withTransaction { connection in
            let registered = miner.registeredAt.timeIntervalSince1970
            // ON CONFLICT: two instances registering one address (or one token) at once must not both succeed.
            let inserted = try await connection.query(
                """
                INSERT INTO miners (address, endpoint, models, gpu_memory, max_concurrent_jobs, stake, region, tags,
                                    token_salt, token_digest, key_lookup, proto, price, ram_memory, cpu_cores, gpu_name,
                                    chain_id, wallet_address, registered_at, updated_at)
                VALUES (\(profile.address), \(profile.endpoint), \(profile.models), \(profile.gpuMemory),
                        \(profile.maxConcurrentJobs), \(profile.stake), \(profile.region), \(profile.tags),
                        \(profile.salt), \(profile.digest), \(profile.keyLookup), \(profile.proto), \(profile.price),
                        \(profile.ramMemory), \(profile.cpuCores), \(profile.gpuName), \(profile.chainID),
                        \(profile.walletAddress), \(registered), \(registered))
                ON CONFLICT DO NOTHING
                RETURNING address
                """, logger: self.logger
            ).collect()
            guard !inserted.isEmpty else { return false }
            try await connection.query(
                """
                INSERT INTO miner_stats (address, completed, failed, response_time_sum_ms, response_time_count, decayed_at,
                                         jobs_completed, jobs_failed, version)
                VALUES (\(profile.address), \(stats.completed), \(stats.failed), \(stats.responseTimeSumMs),
                        \(stats.responseTimeCount), \(stats.decayedAt.timeIntervalSince1970), \(stats.jobsCompleted),
                        \(stats.jobsFailed), \(stats.version))
                """, logger: self.logger)
            return true
        }
    }

    package func updateMiner(_ miner: Miner, credential: MinerCredential, at now: Date) async throws {
        let p = try Profile(miner, credential: credential)
        try await withConnection { connection in
            _ = try await connection.query(
                """
                UPDATE miners SET endpoint = \(p.endpoint), models = \(p.models), gpu_memory = \(p.gpuMemory),
                    max_concurrent_jobs = \(p.maxConcurrentJobs), stake = \(p.stake), region = \(p.region), tags = \(p.tags),
                    token_salt = \(p.salt), token_digest = \(p.digest), key_lookup = \(p.keyLookup), proto = \(p.proto),
                    price = \(p.price), ram_memory = \(p.ramMemory), cpu_cores = \(p.cpuCores), gpu_name = \(p.gpuName),
                    chain_id = \(p.chainID), wallet_address = \(p.walletAddress), updated_at = \(now.timeIntervalSince1970),
                    deregistered_at = NULL
                WHERE address = \(p.address)
                """, logger: self.logger)
        }
    }

    package func deregister(_ address: MinerAddress, at now: Date) async throws {
        let seconds = now.timeIntervalSince1970
        try await withConnection { connection in
            _ = try await connection.query(
                """
                UPDATE miners SET deregistered_at = \(seconds), updated_at = \(seconds)
                WHERE address = \(address.value) AND deregistered_at IS NULL
                """, logger: self.logger)
        }
    }

    package func setCordon(_ address: MinerAddress, cordonedAt: Date?, at now: Date) async throws {
        let cordoned = cordonedAt?.timeIntervalSince1970
        try await withConnection { connection in
            _ = try await connection.query(
                """
                UPDATE miners SET cordoned_at = \(cordoned), updated_at = \(now.timeIntervalSince1970)
                WHERE address = \(address.value)
                """, logger: self.logger)
        }
    }

    package func saveStatuses(_ updates: [StatusUpdate]) async throws {
        guard !updates.isEmpty else { return }
        try await statusWriter.submit(contentsOf: updates) { batch in try await self.writeStatuses(batch) }
    }

    /// One statement per 500 miners of a batch of heartbeats; an older heartbeat never overwrites a newer one.
    private func writeStatuses(_ batch: StatusBatch) async throws {
        for rows in batch.statements { try await writeStatuses(rows) }
    }

    private func writeStatuses(_ entries: ArraySlice<StatusUpdate>) async throws {
        let columns = 11
        var binds = PostgresBindings(capacity: entries.count * columns)
        var rows: [String] = []
        rows.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() {
            rows.append("(" + (1...columns).map { "$\(i * columns + $0)" }.joined(separator: ", ") + ")")
            binds.append(e.address.value)
            binds.append(e.status.available)
            binds.append(e.status.currentLoad)
            binds.append(e.status.gpuUtilization)
            binds.append(e.status.temperature)
            binds.append(e.status.lastHeartbeatAt.timeIntervalSince1970)
            binds.append(e.uptime.onlineSeconds)
            binds.append(e.uptime.observedSeconds)
            binds.append(e.uptime.accountedUntil?.timeIntervalSince1970)
            binds.append(e.status.lastHeartbeatAt.timeIntervalSince1970)
            binds.append(e.onlineUntil.timeIntervalSince1970)
        }
        let sql = """
            INSERT INTO miner_status (address, available, current_load, gpu_utilization, temperature,
                                      last_heartbeat_at, online_seconds, observed_seconds, accounted_until,
                                      online_since, online_until)
            VALUES \(rows.joined(separator: ", "))
            ON CONFLICT (address) DO UPDATE SET \(StatusUpsert.assignments)
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        try await withConnection { connection in
            _ = try await connection.query(query, logger: self.logger)
        }
    }

    package func recordResult(
        _ result: JobResult, decay: Decay, thresholds: ScoringConfig.Thresholds?, usage: ResultUsage?
    ) async throws -> ResultRecording {
        try await withTransaction { connection in
            // The row lock orders every result of one miner, so no two read the same stats and lose an update.
            guard
                let statsRow = try await connection.query(
                    "SELECT * FROM miner_stats WHERE address = \(result.address.value) FOR UPDATE", logger: self.logger
                ).collect().first
            else { return .unknownMiner }
            let inserted = try await connection.query(
                """
                INSERT INTO job_results (job_id, address, status, response_time_ms, gpu_seconds, error, reported_at)
                VALUES (\(result.jobID), \(result.address.value), \(result.outcome.rawValue), \(result.responseTimeMs),
                        \(result.gpuSeconds), \(result.error), \(result.reportedAt.timeIntervalSince1970))
                ON CONFLICT (job_id, address) DO NOTHING
                RETURNING job_id
                """, logger: self.logger
            ).collect()
            guard !inserted.isEmpty else {
                let row = try await connection.query(
                    "SELECT * FROM job_results WHERE job_id = \(result.jobID) AND address = \(result.address.value)",
                    logger: self.logger
                ).collect().first
                guard let row else { throw StoreError.corrupt("job result \(result.jobID) conflicts but is missing") }
                let existing = try Self.jobResult(row)
                return existing.isSameReport(as: result) ? .duplicate(existing) : .conflict(existing)
            }
            let s = try Self.stats(PostgresRandomAccessRow(statsRow)).recording(result, decay: decay, judgedBy: thresholds)
            let suspendedUntil = StoredStanding.suspendedUntil(s.standing)
            try await connection.query(
                """
                UPDATE miner_stats SET completed = \(s.completed), failed = \(s.failed),
                    response_time_sum_ms = \(s.responseTimeSumMs), response_time_count = \(s.responseTimeCount),
                    decayed_at = \(s.decayedAt.timeIntervalSince1970), jobs_completed = \(s.jobsCompleted),
                    jobs_failed = \(s.jobsFailed), version = \(s.version), suspended_until = \(suspendedUntil),
                    suspension_seconds = \(s.standing.suspensionSeconds), probation_jobs_left = \(s.standing.probationJobsLeft)
                WHERE address = \(result.address.value)
                """, logger: self.logger)
            if let usage { try await self.recordUsage(of: result, usage, on: connection) }
            return .recorded(s)
        }
    }

    package func reviewStanding(_ address: MinerAddress, thresholds: ScoringConfig.Thresholds, at now: Date) async throws -> MinerStats? {
        try await withTransaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT * FROM miner_stats WHERE address = \(address.value) FOR UPDATE", logger: self.logger
                ).collect().first,
                let s = try Self.stats(PostgresRandomAccessRow(row)).reviewed(by: thresholds, at: now)
            else { return nil }
            let suspendedUntil = StoredStanding.suspendedUntil(s.standing)
            try await connection.query(
                """
                UPDATE miner_stats SET version = \(s.version), suspended_until = \(suspendedUntil),
                    suspension_seconds = \(s.standing.suspensionSeconds), probation_jobs_left = \(s.standing.probationJobsLeft)
                WHERE address = \(address.value)
                """, logger: self.logger)
            return s
        }
    }

    package func ping() async throws {
        try await withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: self.logger)
        }
    }
}
