import Logging
import NIOCore
import RESP
import PoolHubTestSupport
import Testing

let redisAvailable = ConditionTrait.enabled(if: RedisServerProcess.isAvailable, "redis-server not installed")

extension Logger {
    static let tests: Logger = {
        var logger = Logger(label: "resp-tests")
        logger.logLevel = .notice
        return logger
    }()
}

/// A client for `server`, closed after `body` whatever happens.
func withClient<T>(
    _ server: RedisServerProcess,
    configure: (inout RedisConfiguration) -> Void = { _ in },
    _ body: (RedisClient) async throws -> T
) async throws -> T {
    var configuration = RedisConfiguration(port: server.port)
    // A loopback connect is refused or accepted at once; on a busy two-core box it may still take more than the
    // default 2 s, which would add a reconnect the tests do not expect.
    configuration.connectTimeout = .seconds(30)
    configure(&configuration)
    let client = RedisClient(configuration: configuration, logger: .tests)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// Runs `operation` and returns the RedisError it threw (nil if it succeeded).
func redisError(_ operation: () async throws(RedisError) -> some Any) async -> RedisError? {
    do {
        _ = try await operation()
        return nil
    } catch {
        return error
    }
}

extension RedisError {
    var isUnavailable: Bool {
        if case .unavailable = self { true } else { false }
    }
}

extension RESPValue {
    var isNull: Bool {
        if case .null = self { true } else { false }
    }
}
