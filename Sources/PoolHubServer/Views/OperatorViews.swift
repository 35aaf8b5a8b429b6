// The answers of an operator's actions on a miner: drain progress and a new token.

import Foundation
import PoolHubCore

/// `POST /api/v1/miners/{address}/drain`: the miner is cordoned; drained once no reservation is left.
struct DrainView: Encodable {
    var address: String
    var cordoned: Bool
    var cordonedAt: Date?
    var reservations: Int
    var drained: Bool

    init(_ progress: DrainProgress) {
        address = progress.member.miner.address.value
        cordoned = progress.member.isCordoned
        cordonedAt = progress.member.cordonedAt
        reservations = progress.reservations
        drained = progress.drained
    }
}

/// `POST /api/v1/miners/{address}/reset-token`: the new token, shown only in this answer.
struct NewTokenView: Encodable {
    var address: String
    var token: String
}
