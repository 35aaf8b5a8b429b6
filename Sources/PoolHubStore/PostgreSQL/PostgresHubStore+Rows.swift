// PostgreSQL rows to domain values.

import Foundation
import PoolHubCore
import PostgresNIO

// Rows ↔ domain values, in the same encoding as the SQLite store: epoch seconds, JSON text, bytea.

extension PostgresHubStore {
    /// A miner's profile columns, encoded once for INSERT and UPDATE.
    struct Profile: Sendable {
        var address: String
        var endpoint: String
        var models: String
        var gpuMemory: Int?
        var maxConcurrentJobs: Int
        var stake: Int
        var region: String?
        var tags: String
        var salt: Data
        var digest: Data
        var keyLookup: Data?
        var proto: String?
        var price: String?
        var ramMemory: Int?
        var cpuCores: Int?
        var gpuName: String?
        var chainID: String?
        var walletAddress: String?

        init(_ miner: Miner, credential: MinerCredential) throws {
            address = miner.address.value
            endpoint = miner.endpoint
            models = String(decoding: try JSONEncoder().encode(miner.capabilities.models), as: UTF8.self)
            gpuMemory = miner.capabilities.gpuMemory
            maxConcurrentJobs = miner.capabilities.maxConcurrentJobs
            stake = miner.stake
            region = miner.region
            tags = String(decoding: try JSONEncoder().encode(miner.tags), as: UTF8.self)
            salt = Data(credential.salt)
            digest = Data(credential.digest)
            keyLookup = credential.lookup.map { Data($0) }
            proto = miner.proto
            price = miner.price.map(StoredDecimal.encode)
            ramMemory = miner.capabilities.ramMemory
            cpuCores = miner.capabilities.cpuCores
            gpuName = miner.capabilities.gpuName
            chainID = miner.chainID
            walletAddress = miner.walletAddress
        }
    }

    static func date(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date? {
        try row[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
    }

    static func requiredDate(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date {
        guard let date = try date(row, column) else { throw StoreError.corrupt("\(column) is NULL") }
        return date
    }

    static func stats(_ row: PostgresRandomAccessRow) throws -> MinerStats {
        MinerStats(
            completed: try row["completed"].decode(Double.self), failed: try row["failed"].decode(Double.self),
            responseTimeSumMs: try row["response_time_sum_ms"].decode(Double.self),
            responseTimeCount: try row["response_time_count"].decode(Double.self),
            decayedAt: try requiredDate(row, "decayed_at"), jobsCompleted: try row["jobs_completed"].decode(Int.self),
            jobsFailed: try row["jobs_failed"].decode(Int.self), version: try row["version"].decode(Int.self),
            standing: StoredStanding.standing(
                suspendedUntil: try row["suspended_until"].decode(Double?.self),
                suspensionSeconds: try row["suspension_seconds"].decode(Double.self),
                probationJobsLeft: try row["probation_jobs_left"].decode(Int.self)))
    }

    static func storedMiner(_ postgresRow: PostgresRow) throws -> StoredMiner {
        let row = PostgresRandomAccessRow(postgresRow)
        let rawAddress = try row["address"].decode(String.self)
        guard let address = MinerAddress(rawAddress) else { throw StoreError.corrupt("miner address \(rawAddress)") }
        let models = try JSONDecoder().decode([String].self, from: Data(try row["models"].decode(String.self).utf8))
        let tags = try JSONDecoder().decode([String: String].self, from: Data(try row["tags"].decode(String.self).utf8))
        let miner = Miner(
            address: address, endpoint: try row["endpoint"].decode(String.self),
            capabilities: MinerCapabilities(
                models: models, gpuMemory: try row["gpu_memory"].decode(Int?.self),
                maxConcurrentJobs: try row["max_concurrent_jobs"].decode(Int.self), ramMemory: try row["ram_memory"].decode(Int?.self),
                cpuCores: try row["cpu_cores"].decode(Int?.self), gpuName: try row["gpu_name"].decode(String?.self)),
            stake: try row["stake"].decode(Int.self), region: try row["region"].decode(String?.self), tags: tags,
            registeredAt: try requiredDate(row, "registered_at"), proto: try row["proto"].decode(String?.self),
            price: try row["price"].decode(String?.self).map(StoredDecimal.decode),
            chainID: try row["chain_id"].decode(String?.self), walletAddress: try row["wallet_address"].decode(String?.self))
        let credential = MinerCredential(
            salt: [UInt8](try row["token_salt"].decode(Data.self)), digest: [UInt8](try row["token_digest"].decode(Data.self)),
            lookup: try row["key_lookup"].decode(Data?.self).map { [UInt8]($0) })
        var status: LiveStatus?
        var uptime = UptimeLedger()
        if let heartbeat = try date(row, "last_heartbeat_at") {
            status = LiveStatus(
                available: try row["available"].decode(Bool.self), currentLoad: try row["current_load"].decode(Int.self),
                gpuUtilization: try row["gpu_utilization"].decode(Double?.self),
                temperature: try row["temperature"].decode(Double?.self), lastHeartbeatAt: heartbeat)
            uptime = UptimeLedger(
                onlineSeconds: try row["online_seconds"].decode(Double.self),
                observedSeconds: try row["observed_seconds"].decode(Double.self),
                accountedUntil: try date(row, "accounted_until"))
        }
        return StoredMiner(
            miner: miner, credential: credential, stats: try stats(row), uptime: uptime, status: status,
            deregisteredAt: try date(row, "deregistered_at"), cordonedAt: try date(row, "cordoned_at"))
    }

    static func jobResult(_ postgresRow: PostgresRow) throws -> JobResult {
        let row = PostgresRandomAccessRow(postgresRow)
        let jobID = try row["job_id"].decode(String.self)
        guard let address = MinerAddress(try row["address"].decode(String.self)),
            let outcome = JobOutcome(rawValue: try row["status"].decode(String.self))
        else { throw StoreError.corrupt("job result \(jobID)") }
        return JobResult(
            jobID: jobID, address: address, outcome: outcome, responseTimeMs: try row["response_time_ms"].decode(Double?.self),
            gpuSeconds: try row["gpu_seconds"].decode(Double?.self), error: try row["error"].decode(String?.self),
            reportedAt: try requiredDate(row, "reported_at"))
    }
}
