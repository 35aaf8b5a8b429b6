// A Lua script and its SHA-1 for EVALSHA.

import Crypto

/// A Lua script run with EVALSHA (falling back to EVAL on NOSCRIPT); the digest is computed once, here.
package struct RedisScript: Sendable {
    package let source: String
    /// Lower-case hex SHA-1 of `source`, as `SCRIPT LOAD` would answer.
    package let sha1: String

    package init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
