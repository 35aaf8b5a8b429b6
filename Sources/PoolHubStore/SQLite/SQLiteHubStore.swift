// The embedded SQLite store.

package import Foundation
import GRDB
package import PoolHubCore

/// The embedded default: one SQLite file in WAL mode.
package final class SQLiteHubStore: HubStore {
    let pool: DatabasePool

    /// Opens (and creates) the database at `path`, creating its directory.
    package init(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a killed process (only an OS crash may lose the last commits).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    package func migrate() async throws -> [Int] {
        try await pool.write { db in
            try db.execute(sql: Migration.sqliteLedger)
            let applied = Set(try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
            var now: [Int] = []
            for migration in Migration.all where !applied.contains(migration.version) {
                for statement in migration.sqlite { try db.execute(sql: statement) }
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    arguments: [migration.version, migration.name, Date().timeIntervalSince1970])
                now.append(migration.version)
            }
            return now
        }
    }

    package func loadMiners() async throws -> [StoredMiner] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: StoredMinerQuery.select + " ORDER BY m.address").map(Self.storedMiner)
        }
    }

    package func loadMiner(_ address: MinerAddress) async throws -> StoredMiner? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: StoredMinerQuery.select + " WHERE m.address = ?", arguments: [address.value]).map(Self.storedMiner)
        }
    }

    package func minerAddress(withKey lookup: [UInt8]) async throws -> MinerAddress? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT address FROM miners WHERE key_lookup = ?", arguments: [Data(lookup)])
                .flatMap(MinerAddress.init)
        }
    }

    package func insertMiner(_ miner: Miner, credential: MinerCredential, stats: MinerStats) async throws -> Bool {
        try await pool.write { db in
            let taken =
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM miners WHERE address = ? OR key_lookup = ?",
                    arguments: [miner.address.value, credential.lookup.map { Data($0) }]) ?? false
            guard !taken else { return false }
            var arguments = try Self.profileArguments(miner, credential: credential)
            _ = arguments.append(contentsOf: [miner.registeredAt.timeIntervalSince1970, miner.registeredAt.timeIntervalSince1970])
            try db.execute(
                sql: """
                    INSERT INTO miners (address, endpoint, models, gpu_memory, max_concurrent_jobs, stake, region, tags,
                                        token_salt, token_digest, key_lookup, proto, price, ram_memory, cpu_cores, gpu_name,
                                        chain_id, wallet_address, registered_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: arguments)
            try db.execute(
                sql: """
                    INSERT INTO miner_stats (address, completed, failed, response_time_sum_ms, response_time_count, decayed_at,
                                             jobs_completed, jobs_failed, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: Self.statsArguments(stats, of: miner.address))
            return true
        }
    }

    package func updateMiner(_ miner: Miner, credential: MinerCredential, at now: Date) async throws {
        try await pool.write { db in
            var arguments = try Self.profileArguments(miner, credential: credential)
            _ = arguments.append(contentsOf: [now.timeIntervalSince1970])
            try db.execute(
                sql: """
                    UPDATE miners SET endpoint = ?2, models = ?3, gpu_memory = ?4, max_concurrent_jobs = ?5, stake = ?6,
                        region = ?7, tags = ?8, token_salt = ?9, token_digest = ?10, key_lookup = ?11, proto = ?12, price = ?13,
                        ram_memory = ?14, cpu_cores = ?15, gpu_name = ?16, chain_id = ?17, wallet_address = ?18,
                        updated_at = ?19, deregistered_at = NULL
                    WHERE address = ?1
                    """, arguments: arguments)
        }
    }

    package func deregister(_ address: MinerAddress, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE miners SET deregistered_at = ?, updated_at = ? WHERE address = ? AND deregistered_at IS NULL",
                arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, address.value])
        }
    }

    package func setCordon(_ address: MinerAddress, cordonedAt: Date?, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE miners SET cordoned_at = ?, updated_at = ? WHERE address = ?",
                arguments: [cordonedAt?.timeIntervalSince1970, now.timeIntervalSince1970, address.value])
        }
    }

    package func saveStatuses(_ updates: [StatusUpdate]) async throws {
        guard !updates.isEmpty else { return }
        try await pool.write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO miner_status (address, available, current_load, gpu_utilization, temperature,
                                              last_heartbeat_at, online_seconds, observed_seconds, accounted_until,
                                              online_since, online_until)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (address) DO UPDATE SET \(StatusUpsert.assignments)
                    """)
            for u in updates {
                try upsert.execute(arguments: [
                    u.address.value, u.status.available, u.status.currentLoad, u.status.gpuUtilization, u.status.temperature,
                    u.status.lastHeartbeatAt.timeIntervalSince1970, u.uptime.onlineSeconds, u.uptime.observedSeconds,
                    u.uptime.accountedUntil?.timeIntervalSince1970, u.status.lastHeartbeatAt.timeIntervalSince1970,
                    u.onlineUntil.timeIntervalSince1970,
                ])
            }
        }
    }

    package func recordResult(
        _ result: JobResult, decay: Decay, thresholds: ScoringConfig.Thresholds?, usage: ResultUsage?
    ) async throws -> ResultRecording {
        try await pool.write { db in
            if let row = try Row.fetchOne(
                db, sql: "SELECT * FROM job_results WHERE job_id = ? AND address = ?",
                arguments: [result.jobID, result.address.value])
            {
                let existing = try Self.jobResult(row)
                return existing.isSameReport(as: result) ? .duplicate(existing) : .conflict(existing)
            }
            guard
                let statsRow = try Row.fetchOne(
                    db, sql: "SELECT * FROM miner_stats WHERE address = ?", arguments: [result.address.value])
            else { return .unknownMiner }
            let stats = Self.stats(statsRow).recording(result, decay: decay, judgedBy: thresholds)
            try db.execute(
                sql: """
                    INSERT INTO job_results (job_id, address, status, response_time_ms, gpu_seconds, error, reported_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    result.jobID, result.address.value, result.outcome.rawValue, result.responseTimeMs, result.gpuSeconds,
                    result.error, result.reportedAt.timeIntervalSince1970,
                ])
            try db.execute(
                sql: """
                    UPDATE miner_stats SET completed = ?2, failed = ?3, response_time_sum_ms = ?4, response_time_count = ?5,
                        decayed_at = ?6, jobs_completed = ?7, jobs_failed = ?8, version = ?9, suspended_until = ?10,
                        suspension_seconds = ?11, probation_jobs_left = ?12
                    WHERE address = ?1
                    """, arguments: Self.statsArguments(stats, of: result.address) + Self.standingArguments(stats.standing))
            if let usage { try Self.recordUsage(of: result, usage, in: db) }
            return .recorded(stats)
        }
    }

    package func reviewStanding(_ address: MinerAddress, thresholds: ScoringConfig.Thresholds, at now: Date) async throws -> MinerStats? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM miner_stats WHERE address = ?", arguments: [address.value]),
                let stats = Self.stats(row).reviewed(by: thresholds, at: now)
            else { return nil }
            try db.execute(
                sql: """
                    UPDATE miner_stats SET version = ?2, suspended_until = ?3, suspension_seconds = ?4, probation_jobs_left = ?5
                    WHERE address = ?1
                    """, arguments: [address.value, stats.version] + Self.standingArguments(stats.standing))
            return stats
        }
    }

    package func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

// MARK: - Rows

extension SQLiteHubStore {
    private static func profileArguments(_ miner: Miner, credential: MinerCredential) throws -> StatementArguments {
        let models = String(decoding: try JSONEncoder().encode(miner.capabilities.models), as: UTF8.self)
        let tags = String(decoding: try JSONEncoder().encode(miner.tags), as: UTF8.self)
        return [
            miner.address.value, miner.endpoint, models, miner.capabilities.gpuMemory, miner.capabilities.maxConcurrentJobs,
            miner.stake, miner.region, tags, Data(credential.salt), Data(credential.digest), credential.lookup.map { Data($0) },
            miner.proto, miner.price.map(StoredDecimal.encode), miner.capabilities.ramMemory, miner.capabilities.cpuCores,
            miner.capabilities.gpuName, miner.chainID, miner.walletAddress,
        ]
    }

    private static func statsArguments(_ s: MinerStats, of address: MinerAddress) -> StatementArguments {
        [
            address.value, s.completed, s.failed, s.responseTimeSumMs, s.responseTimeCount, s.decayedAt.timeIntervalSince1970,
            s.jobsCompleted, s.jobsFailed, s.version,
        ]
    }

    private static func standingArguments(_ s: Standing) -> StatementArguments {
        [StoredStanding.suspendedUntil(s), s.suspensionSeconds, s.probationJobsLeft]
    }

    private static func date(_ row: Row, _ column: String) -> Date? {
        (row[column] as Double?).map(Date.init(timeIntervalSince1970:))
    }

    private static func stats(_ row: Row) -> MinerStats {
        MinerStats(
            completed: row["completed"], failed: row["failed"], responseTimeSumMs: row["response_time_sum_ms"],
            responseTimeCount: row["response_time_count"], decayedAt: date(row, "decayed_at")!,
            jobsCompleted: row["jobs_completed"], jobsFailed: row["jobs_failed"], version: row["version"],
            standing: StoredStanding.standing(
                suspendedUntil: row["suspended_until"], suspensionSeconds: row["suspension_seconds"],
                probationJobsLeft: row["probation_jobs_left"]))
    }

    private static func storedMiner(_ row: Row) throws -> StoredMiner {
        guard let address = MinerAddress(row["address"]) else { throw StoreError.corrupt("miner address \(row["address"] as String)") }
        let models = try JSONDecoder().decode([String].self, from: Data((row["models"] as String).utf8))
        let tags = try JSONDecoder().decode([String: String].self, from: Data((row["tags"] as String).utf8))
        let miner = Miner(
            address: address, endpoint: row["endpoint"],
            capabilities: MinerCapabilities(
                models: models, gpuMemory: row["gpu_memory"], maxConcurrentJobs: row["max_concurrent_jobs"],
                ramMemory: row["ram_memory"], cpuCores: row["cpu_cores"], gpuName: row["gpu_name"]),
            stake: row["stake"], region: row["region"], tags: tags, registeredAt: date(row, "registered_at")!, proto: row["proto"],
            price: try (row["price"] as String?).map(StoredDecimal.decode), chainID: row["chain_id"],
            walletAddress: row["wallet_address"])
        let credential = MinerCredential(
            salt: [UInt8](row["token_salt"] as Data), digest: [UInt8](row["token_digest"] as Data),
            lookup: (row["key_lookup"] as Data?).map { [UInt8]($0) })
        var status: LiveStatus?
        var uptime = UptimeLedger()
        if let heartbeat = date(row, "last_heartbeat_at") {
            status = LiveStatus(
                available: row["available"], currentLoad: row["current_load"], gpuUtilization: row["gpu_utilization"],
                temperature: row["temperature"], lastHeartbeatAt: heartbeat)
            uptime = UptimeLedger(
                onlineSeconds: row["online_seconds"], observedSeconds: row["observed_seconds"],
                accountedUntil: date(row, "accounted_until"))
        }
        return StoredMiner(
            miner: miner, credential: credential, stats: stats(row), uptime: uptime, status: status,
            deregisteredAt: date(row, "deregistered_at"), cordonedAt: date(row, "cordoned_at"))
    }

    private static func jobResult(_ row: Row) throws -> JobResult {
        guard let address = MinerAddress(row["address"]), let outcome = JobOutcome(rawValue: row["status"]) else {
            throw StoreError.corrupt("job result \(row["job_id"] as String)")
        }
        return JobResult(
            jobID: row["job_id"], address: address, outcome: outcome, responseTimeMs: row["response_time_ms"],
            gpuSeconds: row["gpu_seconds"], error: row["error"], reportedAt: date(row, "reported_at")!)
    }
}
