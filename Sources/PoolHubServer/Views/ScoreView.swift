// A miner's score, term by term.

import Foundation
import PoolHubCore

/// `GET /api/v1/miners/{address}/score`: the score and each term behind it.
struct ScoreView: Encodable {
    struct Component: Encodable {
        var value: Double
        var avgResponseTimeMs: Double?
        var weight: Double
        var contribution: Double

        init(_ term: ScoreCard.Term, avgResponseTimeMs: Double? = nil) {
            value = term.value
            self.avgResponseTimeMs = avgResponseTimeMs
            weight = term.weight
            contribution = term.contribution
        }
    }
    struct Components: Encodable {
        var successRate: Component
        var latency: Component
        var availability: Component
        var reputation: Component
    }

    var address: String
    var score: Double
    var maxScore: Double
    var updatedAt: Date
    /// A suspended miner keeps its score but is not matched; one on probation ranks after every miner in good standing.
    var standing: StandingView
    var components: Components

    init(_ m: FleetMember, at now: Date) {
        let card = m.card
        address = m.miner.address.value
        score = card.score
        maxScore = card.maxScore
        updatedAt = card.computedAt
        standing = StandingView(m.stats.standing, at: now)
        components = Components(
            successRate: Component(card.successRate),
            latency: Component(card.latency, avgResponseTimeMs: card.expectedResponseTimeMs),
            availability: Component(card.availability),
            reputation: Component(card.reputation))
    }
}
