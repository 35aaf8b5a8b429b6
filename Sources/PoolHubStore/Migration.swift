/// One versioned schema change. The list only grows; an applied migration is never edited.
/// Each dialect says the same thing: same tables, columns and meaning (times are epoch seconds, JSON is text).
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sqlite: [String]
    public var postgres: [String]

    public static let all: [Migration] = [
        Migration(
            version: 1, name: "miners, stats, status, job results",
            sqlite: [
                """
                CREATE TABLE miners (
                    address TEXT PRIMARY KEY,
                    endpoint TEXT NOT NULL,
                    models TEXT NOT NULL,
                    gpu_memory INTEGER,
                    max_concurrent_jobs INTEGER NOT NULL,
                    stake INTEGER NOT NULL DEFAULT 0,
                    region TEXT,
                    tags TEXT NOT NULL DEFAULT '{}',
                    token_salt BLOB NOT NULL,
                    token_digest BLOB NOT NULL,
                    registered_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    deregistered_at REAL
                )
                """,
                """
                CREATE TABLE miner_stats (
                    address TEXT PRIMARY KEY REFERENCES miners(address),
                    completed REAL NOT NULL,
                    failed REAL NOT NULL,
                    response_time_sum_ms REAL NOT NULL,
                    response_time_count REAL NOT NULL,
                    decayed_at REAL NOT NULL,
                    jobs_completed INTEGER NOT NULL,
                    jobs_failed INTEGER NOT NULL,
                    version INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE miner_status (
                    address TEXT PRIMARY KEY REFERENCES miners(address),
                    available INTEGER NOT NULL,
                    current_load INTEGER NOT NULL,
                    gpu_utilization REAL,
                    temperature REAL,
                    last_heartbeat_at REAL NOT NULL,
                    online_seconds REAL NOT NULL,
                    observed_seconds REAL NOT NULL,
                    accounted_until REAL
                )
                """,
                """
                CREATE TABLE job_results (
                    job_id TEXT NOT NULL,
                    address TEXT NOT NULL REFERENCES miners(address),
                    status TEXT NOT NULL,
                    response_time_ms REAL,
                    gpu_seconds REAL,
                    error TEXT,
                    reported_at REAL NOT NULL,
                    PRIMARY KEY (job_id, address)
                )
                """,
                "CREATE INDEX job_results_by_miner ON job_results (address, reported_at)",
            ],
            postgres: [
                """
                CREATE TABLE miners (
                    address TEXT PRIMARY KEY,
                    endpoint TEXT NOT NULL,
                    models TEXT NOT NULL,
                    gpu_memory BIGINT,
                    max_concurrent_jobs BIGINT NOT NULL,
                    stake BIGINT NOT NULL DEFAULT 0,
                    region TEXT,
                    tags TEXT NOT NULL DEFAULT '{}',
                    token_salt BYTEA NOT NULL,
                    token_digest BYTEA NOT NULL,
                    registered_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL,
                    deregistered_at DOUBLE PRECISION
                )
                """,
                """
                CREATE TABLE miner_stats (
                    address TEXT PRIMARY KEY REFERENCES miners(address),
                    completed DOUBLE PRECISION NOT NULL,
                    failed DOUBLE PRECISION NOT NULL,
                    response_time_sum_ms DOUBLE PRECISION NOT NULL,
                    response_time_count DOUBLE PRECISION NOT NULL,
                    decayed_at DOUBLE PRECISION NOT NULL,
                    jobs_completed BIGINT NOT NULL,
                    jobs_failed BIGINT NOT NULL,
                    version BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE miner_status (
                    address TEXT PRIMARY KEY REFERENCES miners(address),
                    available BOOLEAN NOT NULL,
                    current_load BIGINT NOT NULL,
                    gpu_utilization DOUBLE PRECISION,
                    temperature DOUBLE PRECISION,
                    last_heartbeat_at DOUBLE PRECISION NOT NULL,
                    online_seconds DOUBLE PRECISION NOT NULL,
                    observed_seconds DOUBLE PRECISION NOT NULL,
                    accounted_until DOUBLE PRECISION
                )
                """,
                """
                CREATE TABLE job_results (
                    job_id TEXT NOT NULL,
                    address TEXT NOT NULL REFERENCES miners(address),
                    status TEXT NOT NULL,
                    response_time_ms DOUBLE PRECISION,
                    gpu_seconds DOUBLE PRECISION,
                    error TEXT,
                    reported_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (job_id, address)
                )
                """,
                "CREATE INDEX job_results_by_miner ON job_results (address, reported_at)",
            ]
        ),
        // Version 2 is taken by the SLA tables (another branch).
        Migration(
            version: 3, name: "usage records with their outbox state, match-request counts, job tenants",
            sqlite: UsageSchema.statements(integer: "INTEGER", real: "REAL"),
            postgres: UsageSchema.statements(integer: "BIGINT", real: "DOUBLE PRECISION")
        ),
    ]
}

extension Migration {
    /// The table that records applied versions, per dialect.
    static let sqliteLedger =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    static let postgresLedger =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
}
