// Filter, score and pick the miners of one match from the rankings.

/// Filter → Score → order: picks the miners for a request from a score-ordered ranking.
///
/// The walk visits candidates best first and stops once it has `limit` hits and has seen every
/// candidate tied with the last of them, so its cost follows `limit`, not the fleet. Near-equal
/// scores (within `tieTolerance`, a share of `max_score`) are ordered by lower utilization, then at
/// random, so work spreads instead of herding onto one miner.
package struct MatchPipeline: Sendable {
    package var tieTolerance: Double
    /// Extra tied candidates considered beyond `limit`, to bound the walk when many miners tie.
    package var maxTiedExtra: Int

    package init(tieTolerance: Double, maxTiedExtra: Int = 32) {
        self.tieTolerance = tieTolerance
        self.maxTiedExtra = maxTiedExtra
    }

    package struct Selection: Sendable {
        /// Chosen slots, best first.
        package var slots: [Int32]
        package var rejected: [String: Int]

        package init(slots: [Int32], rejected: [String: Int]) {
            self.slots = slots
            self.rejected = rejected
        }
    }

    /// Picks the miners for `request` from `index`: every miner when it names no model, one model's
    /// ranking, or several models' rankings merged when any of them will do.
    /// `excluded` holds the fleet slots of the request's `exclude` addresses.
    package func select(
        _ request: MatchRequest, in index: CandidateIndex, members: [FleetMember], excluded: Set<Int32> = [],
        context: FilterContext, rng: inout SplitMix64
    ) -> Selection {
        switch request.models.count {
        case 0, 1:
            select(request, from: index.ranking(for: request.models.first), members: members, excluded: excluded, context: context, rng: &rng)
        default:
            members.withUnsafeBufferPointer { members in
                select(
                    request, from: MergedRanking(request.models.map { index.ranking(for: $0) }), members: members, excluded: excluded,
                    context: context, rng: &rng)
            }
        }
    }

    /// Picks the miners for `request` from one ranking.
    package func select(
        _ request: MatchRequest, from ranking: [Rank], members: [FleetMember], excluded: Set<Int32> = [],
        context: FilterContext, rng: inout SplitMix64
    ) -> Selection {
        members.withUnsafeBufferPointer { members in
            select(request, from: ranking, members: members, excluded: excluded, context: context, rng: &rng)
        }
    }

    /// Generic only to serve both kinds of ranking; each is specialized, so the one-list walk stays a plain array loop.
    private func select<Ranking: Sequence<Rank>>(
        _ request: MatchRequest, from ranking: Ranking, members: UnsafeBufferPointer<FleetMember>, excluded: Set<Int32>,
        context: FilterContext, rng: inout SplitMix64
    ) -> Selection {
        let filters = request.filters(excluded: excluded)
        var rejectedCounts = [Int](repeating: 0, count: filters.count)
        var hits: [(rank: Rank, bucket: Int64, utilization: Double, tiebreak: UInt64)] = []
        hits.reserveCapacity(request.limit + 4)
        var cutoffBucket = Int64.min

        walk: for rank in ranking {
            let bucket = self.bucket(rank.score)
            if hits.count >= request.limit && (bucket < cutoffBucket || hits.count >= request.limit + maxTiedExtra) {
                break
            }
            let candidate = Candidate(members, slot: rank.slot, at: context.now)
            for i in filters.indices where !filters[i].admits(candidate, in: context) {
                rejectedCounts[i] += 1
                continue walk
            }
            hits.append((rank, bucket, candidate.utilization, rng.next()))
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

    private func bucket(_ score: Double) -> Int64 {
        tieTolerance > 0 ? Int64((score / tieTolerance).rounded(.down)) : Int64(score.bitPattern >> 1)
    }
}
