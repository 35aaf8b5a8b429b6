// The miner query both backends share.

/// The one query both stores read miners with (it is the same SQL in both dialects).
enum StoredMinerQuery {
    /// Every column of a stored miner; `WHERE`/`ORDER BY` follow.
    static let select = """
        SELECT m.*, s.completed, s.failed, s.response_time_sum_ms, s.response_time_count, s.decayed_at,
               s.jobs_completed, s.jobs_failed, s.version, s.suspended_until, s.suspension_seconds, s.probation_jobs_left,
               st.available, st.current_load, st.gpu_utilization, st.temperature, st.last_heartbeat_at,
               st.online_seconds, st.observed_seconds, st.accounted_until
        FROM miners m
        JOIN miner_stats s ON s.address = m.address
        LEFT JOIN miner_status st ON st.address = m.address
        """
}
