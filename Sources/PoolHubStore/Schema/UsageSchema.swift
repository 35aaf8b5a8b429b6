// The billing tables' schema.

/// The billing tables (migration 3). Both dialects differ only in their integer and real types.
enum UsageSchema {
    static func statements(integer: String, real: String) -> [String] {
        [
            // One row per usage event, also its place in the outbox. Quantities and amounts in millionths.
            """
            CREATE TABLE usage_records (
                event_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                miner_id TEXT,
                job_id TEXT,
                resource_type TEXT NOT NULL,
                quantity_micros \(integer) NOT NULL,
                unit TEXT NOT NULL,
                unit_price TEXT NOT NULL,
                amount_micros \(integer) NOT NULL,
                currency TEXT NOT NULL,
                occurred_at \(real) NOT NULL,
                metadata TEXT NOT NULL DEFAULT '{}',
                created_at \(real) NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending',
                attempts \(integer) NOT NULL DEFAULT 0,
                next_attempt_at \(real) NOT NULL,
                lease_owner TEXT,
                lease_until \(real),
                last_status \(integer),
                last_error TEXT,
                settled_at \(real)
            )
            """,
            "CREATE INDEX usage_records_due ON usage_records (next_attempt_at, created_at) WHERE state = 'pending'",
            "CREATE INDEX usage_records_by_state ON usage_records (state, settled_at)",
            "CREATE INDEX usage_records_by_tenant ON usage_records (tenant_id, occurred_at)",
            "CREATE INDEX usage_records_by_miner ON usage_records (miner_id, occurred_at)",
            // Match requests counted per tenant and window; `recorded` of them are in usage_records already.
            """
            CREATE TABLE usage_api_calls (
                tenant_id TEXT NOT NULL,
                window_start \(integer) NOT NULL,
                window_end \(integer) NOT NULL,
                calls \(integer) NOT NULL,
                recorded \(integer) NOT NULL DEFAULT 0,
                PRIMARY KEY (tenant_id, window_start)
            )
            """,
            "CREATE INDEX usage_api_calls_unrecorded ON usage_api_calls (window_end) WHERE calls > recorded",
            // The tenant each job was matched for (when not the default), so its result is billed to it.
            """
            CREATE TABLE usage_job_tenants (
                job_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                matched_at \(real) NOT NULL
            )
            """,
            "CREATE INDEX usage_job_tenants_by_age ON usage_job_tenants (matched_at)",
        ]
    }
}
