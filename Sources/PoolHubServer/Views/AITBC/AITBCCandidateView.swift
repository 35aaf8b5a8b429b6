// AITBC match candidate, with its score explained.

import Foundation
import PoolHubCore

/// One candidate of a `/v1/match` answer.
struct AITBCCandidateView: Encodable {
    var minerID: String
    var addr: String
    var proto: String
    var score: Double
    var explain: String
    var etaMs: Int
    /// A decimal string; null when the miner never named a price.
    var price: String?

    init(_ m: FleetMember, at now: Date) {
        minerID = m.miner.address.value
        addr = m.miner.endpoint
        proto = m.miner.proto ?? URL(string: m.miner.endpoint)?.scheme ?? "http"
        score = m.card.score
        explain = Self.explain(m.card, load: m.usedSlots(at: now), slots: m.miner.capabilities.maxConcurrentJobs)
        etaMs = Int(m.estimatedTimeMs.rounded())
        price = m.miner.price?.description
    }

    enum CodingKeys: String, CodingKey { case minerID, addr, proto, score, explain, etaMs, price }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minerID, forKey: .minerID)
        try c.encode(addr, forKey: .addr)
        try c.encode(proto, forKey: .proto)
        try c.encode(score, forKey: .score)
        try c.encode(explain, forKey: .explain)
        try c.encode(etaMs, forKey: .etaMs)
        try c.encode(price, forKey: .price)
    }

    /// The score's per-term breakdown on one line, e.g.
    /// `score=0.7025 = 1.0 × (success_rate 0.900×0.40 + latency 0.500×0.25 + availability 0.900×0.20 + reputation 0.250×0.15); load 0/1`.
    static func explain(_ card: ScoreCard, load: Int, slots: Int) -> String {
        func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        let terms = [
            ("success_rate", card.successRate), ("latency", card.latency), ("availability", card.availability),
            ("reputation", card.reputation),
        ].map { name, term in "\(name) \(fixed(term.value, 3))×\(fixed(term.weight, 2))" }
        return "score=\(fixed(card.score, 4)) = \(card.maxScore) × (\(terms.joined(separator: " + "))); load \(load)/\(slots)"
    }
}
