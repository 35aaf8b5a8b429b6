// The match filters, each named so a rejection can be counted under it.

package import Foundation

/// What every filter may consult besides the member itself.
package struct FilterContext: Sendable {
    package var now: Date
    package var heartbeat: HeartbeatPolicy
    package var thresholds: ScoringConfig.Thresholds

    package init(now: Date, heartbeat: HeartbeatPolicy, thresholds: ScoringConfig.Thresholds) {
        self.now = now
        self.heartbeat = heartbeat
        self.thresholds = thresholds
    }
}

/// One feasibility check of the match pipeline. A member it rejects is counted under `name`,
/// so an empty answer can say why. Missing data fails a filter, never passes it.
package protocol MatchFilter: Sendable {
    var name: String { get }
    func admits(_ candidate: Candidate, in context: FilterContext) -> Bool
}

/// Heartbeat within the TTL (or inside the restart grace).
package struct OnlineFilter: MatchFilter {
    package let name = "offline"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        c.heartbeat.isOnline(lastHeartbeatAt: m.lastHeartbeatAt, graceUntil: m.graceUntil, at: c.now)
    }
}

/// An operator took the miner out of rotation (cordon, drain); it stays registered and heartbeating.
package struct CordonFilter: MatchFilter {
    package let name = "cordoned"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { !m.cordoned }
}

/// Suspended after crossing a `[thresholds]` limit, until its suspension ends (then it is on probation).
package struct SuspensionFilter: MatchFilter {
    package let name = "suspended"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { c.now >= m.suspendedUntil }
}

/// The miner said it takes work.
package struct AvailableFilter: MatchFilter {
    package let name = "unavailable"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.available }
}

/// Miners the request excludes, by their slot in the fleet.
package struct ExcludeFilter: MatchFilter {
    package let name = "excluded"
    package let slots: Set<Int32>
    package init(slots: Set<Int32>) { self.slots = slots }
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { !slots.contains(m.slot) }
}

/// `price <= max_price`; a miner that named no price fails.
package struct PriceFilter: MatchFilter {
    package let name = "price"
    package let ceiling: Int64
    package init(ceiling: Int64) { self.ceiling = ceiling }
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard let price = m.priceMicros else { return false }
        return price <= ceiling
    }
}

/// `gpu_memory >= min_gpu_memory`; a miner that never said how much it has fails.
package struct GPUMemoryFilter: MatchFilter {
    package let name = "gpu_memory"
    package let minimum: Int
    package init(minimum: Int) { self.minimum = minimum }
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard let memory = m.gpuMemory else { return false }
        return memory >= minimum
    }
}

/// `ram_memory >= min_ram`; a miner that never said how much it has fails.
package struct RAMFilter: MatchFilter {
    package let name = "ram_memory"
    package let minimum: Int
    package init(minimum: Int) { self.minimum = minimum }
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard let memory = m.ramMemory else { return false }
        return memory >= minimum
    }
}

/// A free slot: `max(current_load, reserved) < max_concurrent_jobs`.
package struct CapacityFilter: MatchFilter {
    package let name = "at_capacity"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.hasFreeSlot }
}

/// `estimated_time <= max_latency` of the request.
package struct LatencyFilter: MatchFilter {
    package let name = "latency"
    package let maxLatency: Double
    package init(maxLatency: Double) { self.maxLatency = maxLatency }
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool { m.estimatedTimeMs <= maxLatency }
}

/// `[thresholds]` of scoring.toml, applied only once a miner has enough history to be judged;
/// they compare what was observed, without the priors. The success rate and response time limits apply
/// to miners in good standing only: crossing one at a result suspends the miner (`MinerStats.judging`), so
/// these hold back only a history that crossed a limit without a result (an older hub's, or thresholds
/// tightened) until a result or the score pass judges it.
package struct SuccessRateThreshold: MatchFilter {
    package let name = "success_rate"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.inGoodStanding(at: c.now), m.outcomes >= ScoringPriors.thresholdOutcomes, let rate = m.observedSuccessRate else {
            return true
        }
        return rate >= c.thresholds.minSuccessRate
    }
}

package struct ResponseTimeThreshold: MatchFilter {
    package let name = "slow"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.inGoodStanding(at: c.now), m.outcomes >= ScoringPriors.thresholdOutcomes, let mean = m.observedResponseTimeMs else {
            return true
        }
        return mean <= c.thresholds.maxLatency
    }
}

package struct AvailabilityThreshold: MatchFilter {
    package let name = "availability"
    package init() {}
    package func admits(_ m: Candidate, in c: FilterContext) -> Bool {
        guard m.observedSeconds >= ScoringPriors.thresholdSeconds, let share = m.observedAvailability else {
            return true
        }
        return share >= c.thresholds.minAvailability
    }
}

extension MatchRequest {
    /// The request's own filters, for miners that are matchable now (`Unmatchable`): its `exclude`
    /// list (`excluded` holds their slots), then its requirements in the order a miner's first failed
    /// one is counted (`regions` comes before them all; the index answers it by region, never per miner).
    package func requirementFilters(excluded: Set<Int32>) -> [any MatchFilter] {
        var list: [any MatchFilter] = []
        if !excluded.isEmpty { list.append(ExcludeFilter(slots: excluded)) }
        if let maxPriceMicros { list.append(PriceFilter(ceiling: maxPriceMicros)) }
        if let minGPUMemory { list.append(GPUMemoryFilter(minimum: minGPUMemory)) }
        if let minRAM { list.append(RAMFilter(minimum: minRAM)) }
        if let maxLatency { list.append(LatencyFilter(maxLatency: maxLatency)) }
        return list
    }
}
