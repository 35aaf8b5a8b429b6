// Miner tokens: issued, hashed, verified and looked up.

import Crypto
import Foundation
import PoolHubCore

/// Miner tokens: 256 random bits shown once; only a salted SHA-256 is kept.
/// An issued token is random, so a fast hash is enough: there is no password to guess. AITBC miners
/// choose their own key (`api_key`); it is kept the same way, so its strength is the miner's choice.
enum MinerTokens {
    static func issue() -> (token: String, credential: MinerCredential) {
        var rng = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let token =
            "phm_"
            + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (token, credential(for: token))
    }

    /// The credential that `token` will open: a fresh salt, its salted digest and its lookup digest.
    static func credential(for token: String) -> MinerCredential {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return MinerCredential(salt: salt, digest: digest(token, salt: salt), lookup: lookup(token))
    }

    static func verify(_ token: String, against credential: MinerCredential) -> Bool {
        let presented = digest(token, salt: credential.salt)
        guard presented.count == credential.digest.count else { return false }
        // Constant time: every byte is compared whatever the first difference.
        return zip(presented, credential.digest).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Finds the miner of a request that carries only its token; a separate domain keeps it apart from the salted digest.
    static func lookup(_ token: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Data("poolhub miner token lookup\n".utf8))
        hasher.update(data: Data(token.utf8))
        return Array(hasher.finalize())
    }

    private static func digest(_ token: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Data(token.utf8))
        return Array(hasher.finalize())
    }
}
