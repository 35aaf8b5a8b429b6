// AITBC miner status.

/// `GET /v1/miners/status`: the miner object of `/api/v1`, plus `miner_id`.
enum AITBCMinerStatusView {
    static func json(minerID: String, view: MinerView) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            view.fields(into: &w)
            w.key("miner_id")
            w.string(minerID)
        }
        return w.bytes
    }
}
