// A miner's registered profile and capabilities, and its credential.

package import Foundation

/// What a miner can run, as it declared at registration.
package struct MinerCapabilities: Sendable, Equatable {
    package var models: [String]
    /// GPU memory in MiB; nil when unknown, which fails any GPU-memory requirement.
    package var gpuMemory: Int?
    package var maxConcurrentJobs: Int
    /// System memory in MiB; nil when unknown, which fails any RAM requirement.
    package var ramMemory: Int?
    /// Descriptive only: never matched on.
    package var cpuCores: Int?
    package var gpuName: String?

    package init(
        models: [String], gpuMemory: Int?, maxConcurrentJobs: Int, ramMemory: Int? = nil, cpuCores: Int? = nil,
        gpuName: String? = nil
    ) {
        self.models = models
        self.gpuMemory = gpuMemory
        self.maxConcurrentJobs = maxConcurrentJobs
        self.ramMemory = ramMemory
        self.cpuCores = cpuCores
        self.gpuName = gpuName
    }
}

/// A miner's registration profile: who it is and what it offers. Live state is elsewhere.
package struct Miner: Sendable, Equatable {
    /// First, so the matcher's reads of a member stay on adjacent cache lines.
    package var capabilities: MinerCapabilities
    /// `price` in whole micro-USD, rounded up (`Price.micros`): what the matcher compares and ranks.
    package private(set) var priceMicros: Int64?
    package var address: MinerAddress
    package var endpoint: String
    package var stake: Int
    package var region: String?
    package var tags: [String: String]
    package var registeredAt: Date
    /// How to talk to `endpoint` (`http`, `grpc`, …), as the miner said; nil when it did not.
    package var proto: String?
    /// The miner's asking price in USD per GPU hour, exactly as it declared it.
    package var price: Decimal? { didSet { priceMicros = price.map(Price.micros) } }
    /// The chain and wallet the miner is paid on (AITBC).
    package var chainID: String?
    package var walletAddress: String?

    package init(
        address: MinerAddress, endpoint: String, capabilities: MinerCapabilities, stake: Int = 0,
        region: String? = nil, tags: [String: String] = [:], registeredAt: Date, proto: String? = nil, price: Decimal? = nil,
        chainID: String? = nil, walletAddress: String? = nil
    ) {
        self.address = address
        self.endpoint = endpoint
        self.capabilities = capabilities
        self.stake = stake
        self.region = region
        self.tags = tags
        self.registeredAt = registeredAt
        self.proto = proto
        self.price = price
        priceMicros = price.map(Price.micros)
        self.chainID = chainID
        self.walletAddress = walletAddress
    }
}

/// The salted hash of a miner's token. Only this is kept; the token itself is shown once.
package struct MinerCredential: Sendable, Equatable {
    package var salt: [UInt8]
    package var digest: [UInt8]
    /// An unsalted digest of the token that finds its miner when a request carries nothing but the
    /// token (an AITBC heartbeat). It only locates: the salted digest still decides. nil for
    /// credentials stored before it existed.
    package var lookup: [UInt8]?

    package init(salt: [UInt8], digest: [UInt8], lookup: [UInt8]? = nil) {
        self.salt = salt
        self.digest = digest
        self.lookup = lookup
    }
}
