/// A Lua script run with EVALSHA (falling back to EVAL on NOSCRIPT); the digest is computed once, here.
public struct RedisScript: Sendable {
    public let source: String
    /// Lower-case hex SHA-1 of `source`, as `SCRIPT LOAD` would answer.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(source.utf8)
    }
}
