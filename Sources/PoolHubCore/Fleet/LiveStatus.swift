// A miner's last reported status (its heartbeat).

package import Foundation

/// The last status a miner reported (its heartbeat).
package struct LiveStatus: Sendable, Equatable {
    package var available: Bool
    package var currentLoad: Int
    /// 0...1; nil when the miner did not say.
    package var gpuUtilization: Double?
    /// °C; nil when the miner did not say.
    package var temperature: Double?
    package var lastHeartbeatAt: Date

    package init(available: Bool, currentLoad: Int, gpuUtilization: Double?, temperature: Double?, lastHeartbeatAt: Date) {
        self.available = available
        self.currentLoad = currentLoad
        self.gpuUtilization = gpuUtilization
        self.temperature = temperature
        self.lastHeartbeatAt = lastHeartbeatAt
    }
}
