public import Foundation

/// The last status a miner reported (its heartbeat).
public struct LiveStatus: Sendable, Equatable {
    public var available: Bool
    public var currentLoad: Int
    /// 0...1; nil when the miner did not say.
    public var gpuUtilization: Double?
    /// °C; nil when the miner did not say.
    public var temperature: Double?
    public var lastHeartbeatAt: Date

    public init(available: Bool, currentLoad: Int, gpuUtilization: Double?, temperature: Double?, lastHeartbeatAt: Date) {
        self.available = available
        self.currentLoad = currentLoad
        self.gpuUtilization = gpuUtilization
        self.temperature = temperature
        self.lastHeartbeatAt = lastHeartbeatAt
    }
}
