// Heartbeat answer.

import Foundation
import PoolHubCore

/// The answer to a heartbeat: when the miner counts as offline unless it sends another.
struct HeartbeatAckView: Encodable {
    var address: String
    var online = true
    var nextHeartbeatS: Int
    var expiresAt: Date

    init(_ address: MinerAddress, status: LiveStatus, heartbeat: HeartbeatPolicy) {
        self.address = address.value
        nextHeartbeatS = heartbeat.suggestedInterval
        expiresAt = heartbeat.expiry(of: status.lastHeartbeatAt)
    }
}
