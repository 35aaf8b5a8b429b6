// A RESP2 reply.

package import NIOCore

/// One RESP2 reply.
package enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString(ByteBuffer)
    /// `$-1` (null bulk string) and `*-1` (null array) both decode to this.
    case null
    case array([RESPValue])

    /// A simple or bulk string as UTF-8 (invalid bytes are repaired).
    package var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(buffer: bytes)
        default: nil
        }
    }

    /// An integer reply, or a simple/bulk string that holds a decimal integer (GET of an INCRed key).
    package var int: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .simpleString, .bulkString: string.flatMap { Int($0) }
        default: nil
        }
    }

    package var array: [RESPValue]? {
        if case .array(let items) = self { items } else { nil }
    }
}
