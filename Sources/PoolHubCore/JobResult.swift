public import Foundation

public enum JobOutcome: String, Sendable, CaseIterable {
    case completed, failed, timeout, rejected
}

/// What a coordinator reported about one job run by one miner.
public struct JobResult: Sendable, Equatable {
    public var jobID: String
    public var address: MinerAddress
    public var outcome: JobOutcome
    public var responseTimeMs: Double?
    public var gpuSeconds: Double?
    public var error: String?
    public var reportedAt: Date

    public init(
        jobID: String, address: MinerAddress, outcome: JobOutcome, responseTimeMs: Double?, gpuSeconds: Double?,
        error: String?, reportedAt: Date
    ) {
        self.jobID = jobID
        self.address = address
        self.outcome = outcome
        self.responseTimeMs = responseTimeMs
        self.gpuSeconds = gpuSeconds
        self.error = error
        self.reportedAt = reportedAt
    }

    /// Two reports of the same job and miner are the same report when everything but the time matches.
    public func isSameReport(as other: JobResult) -> Bool {
        jobID == other.jobID && address == other.address && outcome == other.outcome
            && responseTimeMs == other.responseTimeMs && gpuSeconds == other.gpuSeconds && error == other.error
    }
}
