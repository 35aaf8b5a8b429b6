public import Foundation

/// What a miner can run, as it declared at registration.
public struct MinerCapabilities: Sendable, Equatable {
    public var models: [String]
    /// GPU memory in MiB; nil when unknown, which fails any GPU-memory requirement.
    public var gpuMemory: Int?
    public var maxConcurrentJobs: Int

    public init(models: [String], gpuMemory: Int?, maxConcurrentJobs: Int) {
        self.models = models
        self.gpuMemory = gpuMemory
        self.maxConcurrentJobs = maxConcurrentJobs
    }
}

/// A miner's registration profile: who it is and what it offers. Live state is elsewhere.
public struct Miner: Sendable, Equatable {
    /// First, so the matcher's reads of a member stay on adjacent cache lines.
    public var capabilities: MinerCapabilities
    public var address: MinerAddress
    public var endpoint: String
    public var stake: Int
    public var region: String?
    public var tags: [String: String]
    public var registeredAt: Date

    public init(
        address: MinerAddress, endpoint: String, capabilities: MinerCapabilities, stake: Int = 0,
        region: String? = nil, tags: [String: String] = [:], registeredAt: Date
    ) {
        self.address = address
        self.endpoint = endpoint
        self.capabilities = capabilities
        self.stake = stake
        self.region = region
        self.tags = tags
        self.registeredAt = registeredAt
    }
}

/// The salted hash of a miner's token. Only this is kept; the token itself is shown once.
public struct MinerCredential: Sendable, Equatable {
    public var salt: [UInt8]
    public var digest: [UInt8]

    public init(salt: [UInt8], digest: [UInt8]) {
        self.salt = salt
        self.digest = digest
    }
}
