// Match answer, written straight to bytes (the hottest response).

import Foundation
import PoolHubCore

/// The match answer of API.md:
/// `{"match_id", "job_id", "miners": [{"address", "endpoint", "score", "estimated_time", "price", "reservation": {"id", "expires_at"}}],
/// "available", "rejected"}` (`available` for a gang only).
enum MatchView {
    static func json(_ result: MatchResult, jobID: String?) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.key("match_id")
            w.uuid(UUID.random())
            if let jobID {
                w.key("job_id")
                w.string(jobID)
            }
            w.key("miners")
            w.array { w in
                for miner in result.miners {
                    w.object { w in
                        w.key("address")
                        w.string(miner.address.value)
                        w.key("endpoint")
                        w.string(miner.endpoint)
                        w.key("score")
                        w.number(miner.score)
                        w.key("estimated_time")
                        w.number(Int(miner.estimatedTimeMs.rounded()))
                        w.key("price")
                        if let price = miner.price { w.string(price.description) } else { w.null() }
                        if let reservation = miner.reservation {
                            w.key("reservation")
                            w.object { w in
                                w.key("id")
                                w.hex(reservation.id.high, reservation.id.low)
                                w.key("expires_at")
                                w.date(reservation.expiresAt)
                            }
                        }
                    }
                }
            }
            if let available = result.available {
                w.key("available")
                w.number(available)
            }
            w.key("rejected")
            w.object { w in
                for (filter, count) in result.rejected.sorted(by: { $0.key < $1.key }) {
                    w.key(filter)
                    w.number(count)
                }
            }
        }
        return w.bytes
    }
}
