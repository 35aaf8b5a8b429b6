// The requirement tiers the candidate index splits each model's ranking into.

/// A miner's place on the axes a request can demand a minimum or maximum of: price (micro-USD), GPU
/// memory, RAM and estimated time, each as a tier of about an eighth of an octave (the top three bits
/// after the leading one; exact below 16). A request takes whole tiers that surely satisfy it, skips whole
/// tiers that surely do not, and checks miners one by one only in the tiers its threshold falls inside.
/// (Regions are not an axis: the index keeps each region apart, see `CandidateIndex`.)
package struct RequirementTier: Hashable, Sendable {
    /// -1: the miner did not say (it fails any minimum, or the price ceiling, on that axis).
    package var price: Int16
    package var gpuMemory: Int16
    package var ramMemory: Int16
    package var estimatedTime: Int16

    package init(gpuMemory: Int?, ramMemory: Int?, estimatedTimeMs: Double, priceMicros: Int64? = nil) {
        price = priceMicros.map { Self.tier(Int($0)) } ?? -1
        self.gpuMemory = gpuMemory.map(Self.tier) ?? -1
        self.ramMemory = ramMemory.map(Self.tier) ?? -1
        estimatedTime = Self.tier(Self.wholeMilliseconds(estimatedTimeMs))
    }

    /// The tier of a value: monotonic, so `a <= b` implies `tier(a) <= tier(b)`.
    package static func tier(_ value: Int) -> Int16 {
        guard value >= 16 else { return Int16(max(0, value)) }
        let exponent = Int.bitWidth - 1 - value.leadingZeroBitCount
        return Int16((exponent - 2) * 8 + (value >> (exponent - 3)) & 7)
    }

    /// The smallest value of `tier` and the smallest of the next one.
    package static func bounds(_ tier: Int16) -> (lower: Int, upper: Int) {
        func lower(_ t: Int) -> Int {
            guard t >= 16 else { return t }
            let exponent = t / 8 + 2
            return (8 + t % 8) << (exponent - 3)
        }
        return (lower(Int(tier)), lower(Int(tier) + 1))
    }

    /// Estimated times are compared in whole milliseconds, rounded up (so a tier never admits too much).
    package static func wholeMilliseconds(_ ms: Double) -> Int {
        guard ms.isFinite else { return Int.max / 4 }
        return Int(min(max(ms, 0), 1e15).rounded(.up))
    }

    /// What every miner of this tier makes of a request's requirements.
    package enum Verdict: Equatable {
        /// All of them meet every requirement.
        case satisfies
        /// None meets the named requirement, and it is the first each of them fails.
        case fails(Requirement)
        /// None meets every requirement, but they fail different ones first: counted one by one.
        case failsVariously
        /// Some may, some may not: they are checked one by one.
        case boundary

        /// No miner of the tier can take the job.
        package var excludesAll: Bool {
            switch self {
            case .fails, .failsVariously: true
            case .satisfies, .boundary: false
            }
        }
    }

    package enum Requirement: String, Sendable {
        case price
        case gpuMemory = "gpu_memory"
        case ramMemory = "ram_memory"
        case latency
    }

    package func verdict(_ request: MatchRequest) -> Verdict {
        verdict(maxPrice: request.maxPriceMicros, minGPUMemory: request.minGPUMemory, minRAM: request.minRAM, maxLatency: request.maxLatency)
    }

    /// In the order a miner's first failed requirement is counted: price, GPU memory, RAM, latency.
    package func verdict(maxPrice: Int64? = nil, minGPUMemory: Int?, minRAM: Int?, maxLatency: Double?) -> Verdict {
        // Once one axis is a boundary, a later axis that fails them all fails them for various first reasons.
        var boundary = false
        func fail(_ requirement: Requirement) -> Verdict { boundary ? .failsVariously : .fails(requirement) }
        if let ceiling = maxPrice {
            // A tier holds prices lower <= p < upper.
            guard price >= 0, Int64(Self.bounds(price).lower) <= ceiling else { return fail(.price) }
            boundary = Int64(Self.bounds(price).upper - 1) > ceiling
        }
        if let minimum = minGPUMemory {
            guard gpuMemory >= 0, Self.bounds(gpuMemory).upper > minimum else { return fail(.gpuMemory) }
            boundary = boundary || Self.bounds(gpuMemory).lower < minimum
        }
        if let minimum = minRAM {
            guard ramMemory >= 0, Self.bounds(ramMemory).upper > minimum else { return fail(.ramMemory) }
            boundary = boundary || Self.bounds(ramMemory).lower < minimum
        }
        if let maxLatency {
            // A tier holds times t with lower - 1 < t <= upper - 1 (whole ms, rounded up).
            let (lower, upper) = Self.bounds(estimatedTime)
            guard Double(lower - 1) < maxLatency else { return fail(.latency) }
            boundary = boundary || Double(upper - 1) > maxLatency
        }
        return boundary ? .boundary : .satisfies
    }
}
