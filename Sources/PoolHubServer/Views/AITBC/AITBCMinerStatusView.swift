// AITBC miner status.

/// `GET /v1/miners/status`: the miner object of `/api/v1`, plus `miner_id`.
struct AITBCMinerStatusView: Encodable {
    var minerID: String
    var view: MinerView

    enum CodingKeys: String, CodingKey { case minerID }

    func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minerID, forKey: .minerID)
    }
}
