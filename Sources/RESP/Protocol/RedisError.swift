// Errors of the Redis client.

/// Everything the client can throw. Messages say what failed so a log line is enough to act on.
package enum RedisError: Error, CustomStringConvertible, Equatable {
    /// Not connected, the connect failed, the client is closed, or the connection was lost while waiting.
    case unavailable(String)
    /// No reply within `commandTimeout`; the connection is closed because replies are matched in order.
    case timeout
    /// An `-ERR …` reply to a single command.
    case server(String)
    /// The server sent bytes that are not RESP2 (or exceed the decoder's limits).
    case protocolViolation(String)

    package var description: String {
        switch self {
        case .unavailable(let reason): "redis unavailable: \(reason)"
        case .timeout: "redis command timed out"
        case .server(let message): "redis error: \(message)"
        case .protocolViolation(let reason): "redis protocol violation: \(reason)"
        }
    }
}
