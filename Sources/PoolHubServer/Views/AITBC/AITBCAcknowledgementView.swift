// AITBC answer to a registration or heartbeat.

/// The answer to a registration or a heartbeat; never empty, as the miner treats `{}` as a failure.
struct AITBCAcknowledgementView: Encodable {
    var success = true
    var minerID: String
    var created: Bool?
}
