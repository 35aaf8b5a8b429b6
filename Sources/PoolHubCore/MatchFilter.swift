public import Foundation

/// What every filter may consult besides the member itself.
public struct FilterContext: Sendable {
    public var now: Date
    public var heartbeat: HeartbeatPolicy
    public var thresholds: ScoringConfig.Thresholds

    public init(now: Date, heartbeat: HeartbeatPolicy, thresholds: ScoringConfig.Thresholds) {
        self.now = now
        self.heartbeat = heartbeat
        self.thresholds = thresholds
    }
}

/// One feasibility check of the match pipeline. A member it rejects is counted under `name`,
/// so an empty answer can say why. Missing data fails a filter, never passes it.
public protocol MatchFilter: Sendable {
    var name: String { get }
    func admits(_ member: FleetMember, in context: FilterContext) -> Bool
}

/// Heartbeat within the TTL (or inside the restart grace).
public struct OnlineFilter: MatchFilter {
    public let name = "offline"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool {
        c.heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: c.now)
    }
}

/// The miner said it takes work.
public struct AvailableFilter: MatchFilter {
    public let name = "unavailable"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool { m.status?.available ?? false }
}

public struct ExcludeFilter: MatchFilter {
    public let name = "excluded"
    public let excluded: Set<MinerAddress>
    public init(_ excluded: Set<MinerAddress>) { self.excluded = excluded }
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool { !excluded.contains(m.miner.address) }
}

/// `gpu_memory >= min_gpu_memory`; a miner that never said how much it has fails.
public struct GPUMemoryFilter: MatchFilter {
    public let name = "gpu_memory"
    public let minimum: Int
    public init(minimum: Int) { self.minimum = minimum }
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool {
        guard let memory = m.miner.capabilities.gpuMemory else { return false }
        return memory >= minimum
    }
}

/// A free slot: `max(current_load, reserved) < max_concurrent_jobs`.
public struct CapacityFilter: MatchFilter {
    public let name = "at_capacity"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool { m.hasFreeSlot(at: c.now) }
}

/// `estimated_time <= max_latency` of the request.
public struct LatencyFilter: MatchFilter {
    public let name = "latency"
    public let maxLatency: Double
    public init(maxLatency: Double) { self.maxLatency = maxLatency }
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool { m.estimatedTimeMs <= maxLatency }
}

/// `[thresholds]` of scoring.toml, applied only once a miner has enough history to be judged;
/// they compare what was observed, without the priors.
public struct SuccessRateThreshold: MatchFilter {
    public let name = "success_rate"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool {
        guard m.stats.outcomes >= ScoringPriors.thresholdOutcomes, let rate = m.stats.observedSuccessRate else {
            return true
        }
        return rate >= c.thresholds.minSuccessRate
    }
}

public struct ResponseTimeThreshold: MatchFilter {
    public let name = "slow"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool {
        guard m.stats.outcomes >= ScoringPriors.thresholdOutcomes, let mean = m.stats.observedResponseTimeMs else {
            return true
        }
        return mean <= c.thresholds.maxLatency
    }
}

public struct AvailabilityThreshold: MatchFilter {
    public let name = "availability"
    public init() {}
    public func admits(_ m: FleetMember, in c: FilterContext) -> Bool {
        guard m.uptime.observedSeconds >= ScoringPriors.thresholdSeconds, let share = m.uptime.observedAvailability else {
            return true
        }
        return share >= c.thresholds.minAvailability
    }
}

extension MatchRequest {
    /// The filters this request needs, cheapest and most selective first.
    public var filters: [any MatchFilter] {
        var list: [any MatchFilter] = [OnlineFilter(), AvailableFilter()]
        if !exclude.isEmpty { list.append(ExcludeFilter(exclude)) }
        if let minGPUMemory { list.append(GPUMemoryFilter(minimum: minGPUMemory)) }
        list.append(CapacityFilter())
        if let maxLatency { list.append(LatencyFilter(maxLatency: maxLatency)) }
        list += [SuccessRateThreshold(), ResponseTimeThreshold(), AvailabilityThreshold()] as [any MatchFilter]
        return list
    }
}
