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
    /// Micro-USD per GPU hour: only miners priced at or below it (a miner without a price fails it).
    package var maxPriceMicros: Int64?
    /// Only miners in one of these regions (a miner without a region fails it); nil: any region.
    package var regions: [String]?
    package var jobID: String?
    package var tenantID: String?
    package var limit: Int
    package var reserve: Bool
    package var exclude: Set<MinerAddress>
    /// Preferences: never admit a miner the requirements exclude, only reorder the admissible ones.
    package var preferences = MatchPreferences()
    /// A gang: this many distinct miners, each holding a reservation, or none at all.
    package var count = 1

    package init(
        jobType: String = "inference", models: [String], minGPUMemory: Int? = nil, minRAM: Int? = nil, maxLatency: Double? = nil,
        maxPriceMicros: Int64? = nil, regions: [String]? = nil, jobID: String? = nil, tenantID: String? = nil, limit: Int = 3,
        reserve: Bool = true, exclude: Set<MinerAddress> = [], preferences: MatchPreferences = MatchPreferences(), count: Int = 1
    ) {
        self.jobType = jobType
        self.models = models
        self.minGPUMemory = minGPUMemory
        self.minRAM = minRAM
        self.maxLatency = maxLatency
        self.maxPriceMicros = maxPriceMicros
        self.regions = regions
        self.jobID = jobID
        self.tenantID = tenantID
        self.limit = limit
        self.reserve = reserve
        self.exclude = exclude
        self.preferences = preferences
        self.count = count
    }

    /// The usual request: one model, or any model when nil.
    package init(
        jobType: String = "inference", model: String?, minGPUMemory: Int? = nil, maxLatency: Double? = nil,
        maxPriceMicros: Int64? = nil, regions: [String]? = nil, jobID: String? = nil, tenantID: String? = nil, limit: Int = 3,
        reserve: Bool = true, exclude: Set<MinerAddress> = [], preferences: MatchPreferences = MatchPreferences(), count: Int = 1
    ) {
        self.init(
            jobType: jobType, models: model.map { [$0] } ?? [], minGPUMemory: minGPUMemory, maxLatency: maxLatency,
            maxPriceMicros: maxPriceMicros, regions: regions, jobID: jobID, tenantID: tenantID, limit: limit, reserve: reserve,
            exclude: exclude, preferences: preferences, count: count)
    }

    /// How many miners the answer lists: `limit`, or the whole gang when it is larger.
    package var listed: Int { max(limit, count) }

    /// Requirements the index answers by tier (regions are answered by partition).
    package var isTiered: Bool { maxPriceMicros != nil || minGPUMemory != nil || minRAM != nil || maxLatency != nil }
}

/// What a match prefers among the miners its requirements admit.
package struct MatchPreferences: Sendable, Equatable {
    /// Rank by price first (lowest first, a miner without a price last), then by score.
    package var cheapest = false
    /// Among near-equal scores, miners in one of these regions first.
    package var regions: [String] = []
    /// These miners first, in this order, whatever their score, when they pass every filter and have a free slot.
    package var miners: [MinerAddress] = []

    package init(cheapest: Bool = false, regions: [String] = [], miners: [MinerAddress] = []) {
        self.cheapest = cheapest
        self.regions = regions
        self.miners = miners
    }
}

/// One miner in a match answer.
package struct MatchedMiner: Sendable, Equatable {
    package var address: MinerAddress
    package var endpoint: String
    package var score: Double
    package var estimatedTimeMs: Double
    /// USD per GPU hour, as the miner declared it.
    package var price: Decimal?
    package var reservation: Reservation?

    package init(
        address: MinerAddress, endpoint: String, score: Double, estimatedTimeMs: Double, price: Decimal? = nil, reservation: Reservation?
    ) {
        self.address = address
        self.endpoint = endpoint
        self.score = score
        self.estimatedTimeMs = estimatedTimeMs
        self.price = price
        self.reservation = reservation
    }
}

package struct MatchResult: Sendable, Equatable {
    package var miners: [MatchedMiner]
    /// Miners passed over, counted under the name of the filter that rejected them.
    package var rejected: [String: Int]
    /// For a gang (`count`): how many of its miners could be had; fewer than `count` means none was reserved.
    package var available: Int?

    package init(miners: [MatchedMiner], rejected: [String: Int], available: Int? = nil) {
        self.miners = miners
        self.rejected = rejected
        self.available = available
    }
}
