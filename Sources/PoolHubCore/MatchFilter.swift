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
    func admits(_ candidate: Candidate, in context: FilterContext) -> Bool
}

/// Heartbeat within the TTL (or inside the restart grace).
public struct OnlineFilter: MatchFilter {
    public let name = "offline"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        c.heartbeat.isOnline(lastHeartbeatAt: m.lastHeartbeatAt, graceUntil: m.graceUntil, at: c.now)
    }
}

/// The miner said it takes work.
public struct AvailableFilter: MatchFilter {
    public let name = "unavailable"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.available }
}

/// Miners the request excludes, by their slot in the fleet.
public struct ExcludeFilter: MatchFilter {
    public let name = "excluded"
    public let slots: Set<Int32>
    public init(slots: Set<Int32>) { self.slots = slots }
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool { !slots.contains(m.slot) }
}

/// `gpu_memory >= min_gpu_memory`; a miner that never said how much it has fails.
public struct GPUMemoryFilter: MatchFilter {
    public let name = "gpu_memory"
    public let minimum: Int
    public init(minimum: Int) { self.minimum = minimum }
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard let memory = m.gpuMemory else { return false }
        return memory >= minimum
    }
}

/// `ram_memory >= min_ram`; a miner that never said how much it has fails.
public struct RAMFilter: MatchFilter {
    public let name = "ram_memory"
    public let minimum: Int
    public init(minimum: Int) { self.minimum = minimum }
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard let memory = m.ramMemory else { return false }
        return memory >= minimum
    }
}

/// A free slot: `max(current_load, reserved) < max_concurrent_jobs`.
public struct CapacityFilter: MatchFilter {
    public let name = "at_capacity"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.hasFreeSlot }
}

/// `estimated_time <= max_latency` of the request.
public struct LatencyFilter: MatchFilter {
    public let name = "latency"
    public let maxLatency: Double
    public init(maxLatency: Double) { self.maxLatency = maxLatency }
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.estimatedTimeMs <= maxLatency }
}

/// `[thresholds]` of scoring.toml, applied only once a miner has enough history to be judged;
/// they compare what was observed, without the priors.
public struct SuccessRateThreshold: MatchFilter {
    public let name = "success_rate"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.outcomes >= ScoringPriors.thresholdOutcomes, let rate = m.observedSuccessRate else {
            return true
        }
        return rate >= c.thresholds.minSuccessRate
    }
}

public struct ResponseTimeThreshold: MatchFilter {
    public let name = "slow"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.outcomes >= ScoringPriors.thresholdOutcomes, let mean = m.observedResponseTimeMs else {
            return true
        }
        return mean <= c.thresholds.maxLatency
    }
}

public struct AvailabilityThreshold: MatchFilter {
    public let name = "availability"
    public init() {}
    public func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.observedSeconds >= ScoringPriors.thresholdSeconds, let share = m.observedAvailability else {
            return true
        }
        return share >= c.thresholds.minAvailability
    }
}

extension MatchRequest {
    /// The filters this request needs, cheapest and most selective first; `excluded` are the slots of `exclude`.
    public func filters(excluded: Set<Int32>) -> [any MatchFilter] {
        var list: [any MatchFilter] = [OnlineFilter(), AvailableFilter()]
        if !excluded.isEmpty { list.append(ExcludeFilter(slots: excluded)) }
        if let minGPUMemory { list.append(GPUMemoryFilter(minimum: minGPUMemory)) }
        if let minRAM { list.append(RAMFilter(minimum: minRAM)) }
        list.append(CapacityFilter())
        if let maxLatency { list.append(LatencyFilter(maxLatency: maxLatency)) }
        list += [SuccessRateThreshold(), ResponseTimeThreshold(), AvailabilityThreshold()] as [any MatchFilter]
        return list
    }
}
