// One miner's status as storage keeps it.

package import Foundation
package import PoolHubCore

/// A heartbeat on its way to storage: the status, the uptime it closes, and until when it keeps its miner online.
package struct StatusUpdate: Sendable {
    package var address: MinerAddress
    package var status: LiveStatus
    package var uptime: UptimeLedger
    package var onlineUntil: Date

    package init(_ status: LiveStatus, uptime: UptimeLedger, onlineUntil: Date, of address: MinerAddress) {
        self.address = address
        self.status = status
        self.uptime = uptime
        self.onlineUntil = onlineUntil
    }
}

extension HubStore {
    /// One miner's status (see `saveStatuses`).
    package func saveStatus(_ status: LiveStatus, uptime: UptimeLedger, onlineUntil: Date, of address: MinerAddress) async throws {
        try await saveStatuses([StatusUpdate(status, uptime: uptime, onlineUntil: onlineUntil, of: address)])
    }
}
