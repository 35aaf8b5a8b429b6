// Heartbeat answer, written straight to bytes (every miner sends one every few seconds).

import PoolHubCore

/// The answer to a heartbeat: when the miner counts as offline unless it sends another.
/// `{"address", "online": true, "next_heartbeat_s", "expires_at"}`.
enum HeartbeatAckView {
    static func json(_ address: MinerAddress, status: LiveStatus, heartbeat: HeartbeatPolicy) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.object { w in
            w.key("address")
            w.string(address.value)
            w.key("online")
            w.bool(true)
            w.key("next_heartbeat_s")
            w.number(heartbeat.suggestedInterval)
            w.key("expires_at")
            w.date(heartbeat.expiry(of: status.lastHeartbeatAt))
        }
        return w.bytes
    }
}
