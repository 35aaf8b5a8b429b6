/// Filter → Score → order: picks the miners for a request from a score-ordered ranking.
///
/// The walk visits candidates best first and stops once it has `limit` hits and has seen every
/// candidate tied with the last of them, so its cost follows `limit`, not the fleet. Near-equal
/// scores (within `tieTolerance`, a share of `max_score`) are ordered by lower utilization, then at
/// random, so work spreads instead of herding onto one miner.
public struct MatchPipeline: Sendable {
    public var tieTolerance: Double
    /// Extra tied candidates considered beyond `limit`, to bound the walk when many miners tie.
    public var maxTiedExtra: Int

    public init(tieTolerance: Double, maxTiedExtra: Int = 32) {
        self.tieTolerance = tieTolerance
        self.maxTiedExtra = maxTiedExtra
    }

    public struct Selection: Sendable {
        /// Chosen slots, best first.
        public var slots: [Int32]
        public var rejected: [String: Int]

        public init(slots: [Int32], rejected: [String: Int]) {
            self.slots = slots
            self.rejected = rejected
        }
    }

    public func select(
        _ request: MatchRequest, from ranking: [Rank], members: [FleetMember], context: FilterContext,
        rng: inout SplitMix64
    ) -> Selection {
        let filters = request.filters
        var rejectedCounts = [Int](repeating: 0, count: filters.count)
        var hits: [(rank: Rank, bucket: Int64, utilization: Double, tiebreak: UInt64)] = []
        hits.reserveCapacity(request.limit + 4)
        var cutoffBucket = Int64.min

        walk: for rank in ranking {
            let bucket = self.bucket(rank.score)
            if hits.count >= request.limit && (bucket < cutoffBucket || hits.count >= request.limit + maxTiedExtra) {
                break
            }
            // The member is borrowed from the array, never copied: the walk touches many of them.
            if let failed = Self.firstRejection(of: members[Int(rank.slot)], by: filters, in: context) {
                rejectedCounts[failed] += 1
                continue walk
            }
            hits.append((rank, bucket, members[Int(rank.slot)].utilization(at: context.now), rng.next()))
            if hits.count == request.limit { cutoffBucket = bucket }
        }

        hits.sort { a, b in
            if a.bucket != b.bucket { return a.bucket > b.bucket }
            if a.utilization != b.utilization { return a.utilization < b.utilization }
            return a.tiebreak < b.tiebreak
        }
        var rejected: [String: Int] = [:]
        for (i, count) in rejectedCounts.enumerated() where count > 0 { rejected[filters[i].name, default: 0] += count }
        return Selection(slots: hits.prefix(request.limit).map(\.rank.slot), rejected: rejected)
    }

    /// Index of the first filter that rejects `member`, nil when all admit it.
    private static func firstRejection(of member: borrowing FleetMember, by filters: [any MatchFilter], in context: FilterContext) -> Int? {
        for i in filters.indices where !filters[i].admits(member, in: context) { return i }
        return nil
    }

    private func bucket(_ score: Double) -> Int64 {
        tieTolerance > 0 ? Int64((score / tieTolerance).rounded(.down)) : Int64(score.bitPattern >> 1)
    }
}
