// The versioned migrations of both backends.

/// One versioned schema change. The list only grows; an applied migration is never edited.
/// Each dialect says the same thing: same tables, columns and meaning (times are epoch seconds, JSON is text).
package struct Migration: Sendable {
    package var version: Int
    package var name: String
    package var sqlite: [String]
    package var postgres: [String]

    package static let all: [Migration] = [
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
        Migration(
            version: 2, name: "SLA: online spells, samples, violations, capacity snapshots",
            sqlite: [
                // The current spell lives in miner_status; when a heartbeat comes after it expired, the
                // trigger moves it to online_spells and a new one starts (see `saveStatus`).
                "ALTER TABLE miner_status ADD COLUMN online_since REAL",
                "ALTER TABLE miner_status ADD COLUMN online_until REAL",
                "UPDATE miner_status SET online_since = last_heartbeat_at, online_until = last_heartbeat_at",
                "CREATE TABLE online_spells (address TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL NOT NULL)",
                "CREATE INDEX online_spells_by_end ON online_spells (ended_at)",
                """
                CREATE TRIGGER miner_status_closes_spell AFTER UPDATE OF online_since ON miner_status
                WHEN NEW.online_since <> OLD.online_since AND OLD.online_until > OLD.online_since
                BEGIN
                    INSERT INTO online_spells (address, started_at, ended_at) VALUES (OLD.address, OLD.online_since, OLD.online_until);
                END
                """,
                "CREATE INDEX job_results_by_time ON job_results (reported_at)",
                """
                CREATE TABLE sla_samples (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    miner_id TEXT,
                    metric_type TEXT NOT NULL,
                    value REAL NOT NULL,
                    threshold REAL NOT NULL,
                    severity TEXT,
                    measured_at REAL NOT NULL
                )
                """,
                "CREATE INDEX sla_samples_by_time ON sla_samples (measured_at)",
                "CREATE INDEX sla_samples_by_miner ON sla_samples (miner_id, measured_at)",
                """
                CREATE TABLE sla_violations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    miner_key TEXT NOT NULL,
                    violation_type TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    value REAL NOT NULL,
                    threshold REAL NOT NULL,
                    started_at REAL NOT NULL,
                    last_seen_at REAL NOT NULL,
                    resolved_at REAL
                )
                """,
                // One open violation per miner ('' = the fleet) and metric, even with passes on two instances.
                "CREATE UNIQUE INDEX sla_violations_one_open ON sla_violations (miner_key, violation_type) WHERE resolved_at IS NULL",
                """
                CREATE TABLE capacity_snapshots (
                    taken_at REAL NOT NULL,
                    model TEXT NOT NULL,
                    total_miners INTEGER NOT NULL,
                    online_miners INTEGER NOT NULL,
                    total_slots INTEGER NOT NULL,
                    used_slots INTEGER NOT NULL
                )
                """,
                "CREATE INDEX capacity_snapshots_by_model ON capacity_snapshots (model, taken_at)",
            ],
            postgres: [
                "ALTER TABLE miner_status ADD COLUMN online_since DOUBLE PRECISION",
                "ALTER TABLE miner_status ADD COLUMN online_until DOUBLE PRECISION",
                "UPDATE miner_status SET online_since = last_heartbeat_at, online_until = last_heartbeat_at",
                "CREATE TABLE online_spells (address TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION NOT NULL)",
                "CREATE INDEX online_spells_by_end ON online_spells (ended_at)",
                """
                CREATE FUNCTION close_online_spell() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO online_spells (address, started_at, ended_at) VALUES (OLD.address, OLD.online_since, OLD.online_until);
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER miner_status_closes_spell AFTER UPDATE OF online_since ON miner_status
                FOR EACH ROW WHEN (NEW.online_since <> OLD.online_since AND OLD.online_until > OLD.online_since)
                EXECUTE FUNCTION close_online_spell()
                """,
                "CREATE INDEX job_results_by_time ON job_results (reported_at)",
                """
                CREATE TABLE sla_samples (
                    id BIGSERIAL PRIMARY KEY,
                    miner_id TEXT,
                    metric_type TEXT NOT NULL,
                    value DOUBLE PRECISION NOT NULL,
                    threshold DOUBLE PRECISION NOT NULL,
                    severity TEXT,
                    measured_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX sla_samples_by_time ON sla_samples (measured_at)",
                "CREATE INDEX sla_samples_by_miner ON sla_samples (miner_id, measured_at)",
                """
                CREATE TABLE sla_violations (
                    id BIGSERIAL PRIMARY KEY,
                    miner_key TEXT NOT NULL,
                    violation_type TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    value DOUBLE PRECISION NOT NULL,
                    threshold DOUBLE PRECISION NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    last_seen_at DOUBLE PRECISION NOT NULL,
                    resolved_at DOUBLE PRECISION
                )
                """,
                "CREATE UNIQUE INDEX sla_violations_one_open ON sla_violations (miner_key, violation_type) WHERE resolved_at IS NULL",
                """
                CREATE TABLE capacity_snapshots (
                    taken_at DOUBLE PRECISION NOT NULL,
                    model TEXT NOT NULL,
                    total_miners BIGINT NOT NULL,
                    online_miners BIGINT NOT NULL,
                    total_slots BIGINT NOT NULL,
                    used_slots BIGINT NOT NULL
                )
                """,
                "CREATE INDEX capacity_snapshots_by_model ON capacity_snapshots (model, taken_at)",
            ]
        ),
        Migration(
            version: 3, name: "usage records with their outbox state, match-request counts, job tenants",
            sqlite: UsageSchema.statements(integer: "INTEGER", real: "REAL"),
            postgres: UsageSchema.statements(integer: "BIGINT", real: "DOUBLE PRECISION")
        ),
        Migration(
            version: 4, name: "miner offer (AITBC): proto, price, RAM, CPU, GPU name, chain, wallet; credential lookup",
            sqlite: offerColumns(integer: "INTEGER", bytes: "BLOB"),
            postgres: offerColumns(integer: "BIGINT", bytes: "BYTEA")
        ),
        Migration(
            version: 5, name: "miner cordon (operator: never matched while set)",
            sqlite: ["ALTER TABLE miners ADD COLUMN cordoned_at REAL"],
            postgres: ["ALTER TABLE miners ADD COLUMN cordoned_at DOUBLE PRECISION"]
        ),
        Migration(
            version: 6, name: "miner standing: suspension and probation, stored with the statistics that judge it",
            sqlite: standingColumns(integer: "INTEGER", real: "REAL"),
            postgres: standingColumns(integer: "BIGINT", real: "DOUBLE PRECISION")
        ),
    ]

    /// NULL `suspended_until`: never suspended. Kept in `miner_stats`, whose row lock orders a miner's results.
    private static func standingColumns(integer: String, real: String) -> [String] {
        [
            "suspended_until \(real)", "suspension_seconds \(real) NOT NULL DEFAULT 0",
            "probation_jobs_left \(integer) NOT NULL DEFAULT 0",
        ].map { "ALTER TABLE miner_stats ADD COLUMN " + $0 }
    }

    /// The same columns in both dialects; `price` is a decimal string, never a float.
    private static func offerColumns(integer: String, bytes: String) -> [String] {
        [
            "proto TEXT", "price TEXT", "ram_memory \(integer)", "cpu_cores \(integer)", "gpu_name TEXT", "chain_id TEXT",
            "wallet_address TEXT", "key_lookup \(bytes)",
        ].map { "ALTER TABLE miners ADD COLUMN " + $0 } + [
            // Two miners never share a token: a token alone must name one miner.
            "CREATE UNIQUE INDEX miners_by_key_lookup ON miners (key_lookup)"
        ]
    }
}

extension Migration {
    /// The table that records applied versions, per dialect.
    static let sqliteLedger =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    static let postgresLedger =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
}
