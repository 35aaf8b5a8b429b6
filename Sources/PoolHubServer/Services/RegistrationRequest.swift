// A validated registration.

import Foundation
import PoolHubCore

/// A registration request, validated.
struct RegistrationRequest: Sendable {
    var address: MinerAddress
    var endpoint: String
    var capabilities: MinerCapabilities
    /// nil keeps a known miner's stake (0 for a new one).
    var stake: Int?
    var region: String?
    var tags: [String: String]
    var proto: String? = nil
    var price: Decimal? = nil
    var chainID: String? = nil
    var walletAddress: String? = nil
    var rotateToken: Bool = false
    /// A token the miner chose itself (AITBC's `api_key`): a new miner's credential is made from it
    /// and a known miner must present it. nil: the hub issues the token.
    var chosenToken: String? = nil
}
