// The heartbeat upsert both backends share.

/// The update half of both stores' heartbeat upsert (SQLite and PostgreSQL share the syntax).
enum StatusUpsert {
    /// An older heartbeat never overwrites a newer one. The online spell goes on while heartbeats come
    /// before the last one's expiry; a later one starts a new spell, and a trigger keeps the old one.
    static let assignments = """
        available = excluded.available, current_load = excluded.current_load,
            gpu_utilization = excluded.gpu_utilization, temperature = excluded.temperature,
            last_heartbeat_at = excluded.last_heartbeat_at, online_seconds = excluded.online_seconds,
            observed_seconds = excluded.observed_seconds, accounted_until = excluded.accounted_until,
            online_since = CASE WHEN miner_status.online_until IS NULL OR excluded.last_heartbeat_at > miner_status.online_until
                                THEN excluded.last_heartbeat_at ELSE miner_status.online_since END,
            online_until = excluded.online_until
        WHERE excluded.last_heartbeat_at >= miner_status.last_heartbeat_at
        """
}
