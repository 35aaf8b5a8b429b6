// A coordinator's report of one job on one miner.

package import Foundation

package enum JobOutcome: String, Sendable, CaseIterable {
    case completed, failed, timeout, rejected
}

/// What a coordinator reported about one job run by one miner.
package struct JobResult: Sendable, Equatable {
    package var jobID: String
    package var address: MinerAddress
    package var outcome: JobOutcome
    package var responseTimeMs: Double?
    package var gpuSeconds: Double?
    package var error: String?
    package var reportedAt: Date

    package init(
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
    package func isSameReport(as other: JobResult) -> Bool {
        jobID == other.jobID && address == other.address && outcome == other.outcome
            && responseTimeMs == other.responseTimeMs && gpuSeconds == other.gpuSeconds && error == other.error
    }
}
