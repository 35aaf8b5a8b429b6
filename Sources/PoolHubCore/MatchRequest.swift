public import Foundation

/// A coordinator's question: which miners should run this job?
public struct MatchRequest: Sendable, Equatable {
    public var jobType: String
    /// The job runs on a miner that serves any one of these; empty matches miners of any model.
    public var models: [String]
    /// MiB of GPU memory the job needs.
    public var minGPUMemory: Int?
    /// MiB of system memory the job needs.
    public var minRAM: Int?
    /// ms: the longest acceptable estimated time.
    public var maxLatency: Double?
    public var jobID: String?
    public var tenantID: String?
    public var limit: Int
    public var reserve: Bool
    public var exclude: Set<MinerAddress>

    public init(
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
    public init(
        jobType: String = "inference", model: String?, minGPUMemory: Int? = nil, maxLatency: Double? = nil,
        jobID: String? = nil, tenantID: String? = nil, limit: Int = 3, reserve: Bool = true, exclude: Set<MinerAddress> = []
    ) {
        self.init(
            jobType: jobType, models: model.map { [$0] } ?? [], minGPUMemory: minGPUMemory, maxLatency: maxLatency, jobID: jobID,
            tenantID: tenantID, limit: limit, reserve: reserve, exclude: exclude)
    }
}

/// One miner in a match answer.
public struct MatchedMiner: Sendable, Equatable {
    public var address: MinerAddress
    public var endpoint: String
    public var score: Double
    public var estimatedTimeMs: Double
    public var reservation: Reservation?

    public init(address: MinerAddress, endpoint: String, score: Double, estimatedTimeMs: Double, reservation: Reservation?) {
        self.address = address
        self.endpoint = endpoint
        self.score = score
        self.estimatedTimeMs = estimatedTimeMs
        self.reservation = reservation
    }
}

public struct MatchResult: Sendable, Equatable {
    public var miners: [MatchedMiner]
    /// Miners passed over, counted under the name of the filter that rejected them.
    public var rejected: [String: Int]

    public init(miners: [MatchedMiner], rejected: [String: Int]) {
        self.miners = miners
        self.rejected = rejected
    }
}
