// A match request and its result.

package import Foundation

/// A coordinator's question: which miners should run this job?
package struct MatchRequest: Sendable, Equatable {
    package var jobType: String
    /// The job runs on a miner that serves any one of these; empty matches miners of any model.
    package var models: [String]
    /// MiB of GPU memory the job needs.
    package var minGPUMemory: Int?
    /// MiB of system memory the job needs.
    package var minRAM: Int?
    /// ms: the longest acceptable estimated time.
    package var maxLatency: Double?
    package var jobID: String?
    package var tenantID: String?
    package var limit: Int
    package var reserve: Bool
    package var exclude: Set<MinerAddress>

    package init(
        jobType: String = "inference", models: [String], minGPUMemory: Int? = nil, minRAM: Int? = nil, maxLatency: Double? = nil,
        jobID: String? = nil, tenantID: String? = nil, limit: Int = 3, reserve: Bool = true, exclude: Set<MinerAddress> = []
    ) {
        self.jobType = jobType
        self.models = models
        self.minGPUMemory = minGPUMemory
        self.minRAM = minRAM
        self.maxLatency = maxLatency
        self.jobID = jobID
        self.tenantID = tenantID
        self.limit = limit
        self.reserve = reserve
        self.exclude = exclude
    }

    /// The usual request: one model, or any model when nil.
    package init(
        jobType: String = "inference", model: String?, minGPUMemory: Int? = nil, maxLatency: Double? = nil,
        jobID: String? = nil, tenantID: String? = nil, limit: Int = 3, reserve: Bool = true, exclude: Set<MinerAddress> = []
    ) {
        self.init(
            jobType: jobType, models: model.map { [$0] } ?? [], minGPUMemory: minGPUMemory, maxLatency: maxLatency, jobID: jobID,
            tenantID: tenantID, limit: limit, reserve: reserve, exclude: exclude)
    }
}

/// One miner in a match answer.
package struct MatchedMiner: Sendable, Equatable {
    package var address: MinerAddress
    package var endpoint: String
    package var score: Double
    package var estimatedTimeMs: Double
    package var reservation: Reservation?

    package init(address: MinerAddress, endpoint: String, score: Double, estimatedTimeMs: Double, reservation: Reservation?) {
        self.address = address
        self.endpoint = endpoint
        self.score = score
        self.estimatedTimeMs = estimatedTimeMs
        self.reservation = reservation
    }
}

package struct MatchResult: Sendable, Equatable {
    package var miners: [MatchedMiner]
    /// Miners passed over, counted under the name of the filter that rejected them.
    package var rejected: [String: Int]

    package init(miners: [MatchedMiner], rejected: [String: Int]) {
        self.miners = miners
        self.rejected = rejected
    }
}
