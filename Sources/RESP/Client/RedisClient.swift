// The Redis client: one pipelined connection shared by all callers.

package import Logging
package import NIOCore
package import NIOPosix
import Synchronization

/// A Redis client sharing one pipelined command connection between all callers.
///
/// Requests are written in call order and replies matched FIFO, so any number of tasks can `send`
/// concurrently over one socket. The connection is (re)established on demand: while Redis is down
/// at most one connect attempt runs, and between failed attempts calls fail at once with
/// `.unavailable` (backoff 100 ms → 2 s) rather than queueing. Subscriptions use their own connections.
package final class RedisClient: Sendable {
    let configuration: RedisConfiguration
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    private let allocator = ByteBufferAllocator()
    private let state = Mutex(State())

    private struct State {
        var connection: ConnectionState = .idle
        var backoff = ReconnectBackoff()
        var subscriptions: [Int: Task<Void, Never>] = [:]
        var nextSubscriptionID = 0
    }

    private enum ConnectionState {
        case idle
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
        case closed
    }

    package init(
        configuration: RedisConfiguration,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }

    /// True while the command connection is open (it is opened by the first command).
    package var isConnected: Bool {
        state.withLock { state in
            if case .connected(let connection) = state.connection { connection.isActive } else { false }
        }
    }

    /// Sends one command; an `-ERR` reply throws `.server`.
    package func send(_ arguments: [String]) async throws(RedisError) -> RESPValue {
        var buffer = allocator.buffer(capacity: 64)
        RESPEncoder.encode(arguments, into: &buffer)
        return try Self.checked(await roundTrip(buffer, expected: 1)[0])
    }

    /// Binary-safe variant of `send(_:)`.
    package func send(_ arguments: [ByteBuffer]) async throws(RedisError) -> RESPValue {
        var buffer = allocator.buffer(capacity: 64)
        RESPEncoder.encode(arguments, into: &buffer)
        return try Self.checked(await roundTrip(buffer, expected: 1)[0])
    }

    /// Sends all commands in one write and returns their replies in order; `-ERR` replies come back as `.error`.
    package func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var buffer = allocator.buffer(capacity: 64 * commands.count)
        for command in commands { RESPEncoder.encode(command, into: &buffer) }
        return try await roundTrip(buffer, expected: commands.count)
    }

    /// EVALSHA, and EVAL when the server does not know the script yet (after a restart or SCRIPT FLUSH).
    package func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws(RedisError) -> RESPValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await send(["EVALSHA", script.sha1] + tail)
        } catch {
            guard case .server(let message) = error, message.hasPrefix("NOSCRIPT") else { throw error }
            logger.debug("redis script not cached, sending source", metadata: ["sha1": "\(script.sha1)"])
            return try await send(["EVAL", script.source] + tail)
        }
    }

    /// Messages on `channels`, on a dedicated connection that reconnects and re-subscribes by itself.
    /// Cancel the consuming task (or drop the stream) to unsubscribe and close that connection.
    /// Messages whose payload `skipping` answers true for are dropped where they are read.
    package func subscribe(
        to channels: [String], skipping: @escaping @Sendable (ByteBuffer) -> Bool = { _ in false }
    ) -> AsyncStream<RedisSubscriptionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisSubscriptionEvent.self)
        let subscription = RedisSubscription(
            channels: channels, skipping: skipping, configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup
        )
        let started = state.withLock { state -> Bool in
            if case .closed = state.connection { return false }
            let id = state.nextSubscriptionID
            state.nextSubscriptionID += 1
            let task = Task {
                await subscription.run(continuation)
                self.subscriptionEnded(id)
            }
            state.subscriptions[id] = task
            continuation.onTermination = { _ in task.cancel() }
            return true
        }
        if !started { continuation.finish() }
        return stream
    }

    /// Closes the command and subscription connections and fails whatever is waiting. Safe to call twice.
    package func close() async {
        let (previous, subscriptions) = state.withLock { state in
            let previous = state.connection
            state.connection = .closed
            defer { state.subscriptions = [:] }
            return (previous, Array(state.subscriptions.values))
        }
        for task in subscriptions { task.cancel() }
        // A connect still in flight sees `.closed` when it finishes and closes its own channel.
        if case .connected(let connection) = previous { await connection.close() }
        for task in subscriptions { await task.value }
        if case .closed = previous {} else { logger.debug("redis client closed") }
    }

    // MARK: - Command connection

    private static func checked(_ reply: RESPValue) throws(RedisError) -> RESPValue {
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    private func roundTrip(_ bytes: ByteBuffer, expected: Int) async throws(RedisError) -> [RESPValue] {
        try await connection().send(bytes, expected: expected)
    }

    private enum Acquire {
        case use(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case start(EventLoopPromise<RedisConnection>)
        case fail(RedisError)
    }

    private func connection() async throws(RedisError) -> RedisConnection {
        let now = ContinuousClock.now
        let acquire = state.withLock { state -> Acquire in
            switch state.connection {
            case .closed:
                return .fail(.unavailable("client is closed"))
            case .connected(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let future):
                return .wait(future)
            case .idle, .connected:
                if let remaining = state.backoff.waitRemaining(now: now) {
                    let cause = state.backoff.lastError.map { "\($0)" } ?? "reconnecting"
                    return .fail(.unavailable("\(cause) (next attempt in \(remaining))"))
                }
                let promise = eventLoopGroup.any().makePromise(of: RedisConnection.self)
                state.connection = .connecting(promise.futureResult)
                return .start(promise)
            }
        }
        switch acquire {
        case .use(let connection):
            return connection
        case .fail(let error):
            throw error
        case .wait(let future):
            do { return try await future.get() } catch { throw RedisError(connectionFailure: error) }
        case .start(let promise):
            // This caller connects on behalf of everyone; the others wait on the same future.
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup
                )
                try install(connection)
                promise.succeed(connection)
                return connection
            } catch {
                connectFailed(error)
                promise.fail(error)
                throw error
            }
        }
    }

    private func install(_ connection: RedisConnection) throws(RedisError) {
        let installed = state.withLock { state -> Bool in
            if case .closed = state.connection { return false }
            state.connection = .connected(connection)
            state.backoff.succeeded()
            return true
        }
        guard installed else {
            connection.channel.close(promise: nil)
            throw .unavailable("client is closed")
        }
        connection.closeFuture.whenComplete { _ in self.connectionClosed(connection) }
    }

    private func connectFailed(_ error: RedisError) {
        let failures = state.withLock { state -> Int? in
            if case .closed = state.connection { return nil }
            state.connection = .idle
            state.backoff.failed(error, now: .now)
            return state.backoff.failures
        }
        guard let failures else { return }
        // One notice per outage; the retries that follow are debug noise.
        if failures == 1 {
            logger.notice("redis connect failed", metadata: ["error": "\(error)", "redis": "\(configuration)"])
        } else {
            logger.debug("redis connect failed", metadata: ["error": "\(error)", "attempt": "\(failures)"])
        }
    }

    private func connectionClosed(_ connection: RedisConnection) {
        let lost = state.withLock { state -> Bool in
            guard case .connected(let current) = state.connection, current === connection else { return false }
            state.connection = .idle
            return true
        }
        if lost { logger.notice("redis connection lost; reconnecting on next command", metadata: ["redis": "\(configuration)"]) }
    }

    private func subscriptionEnded(_ id: Int) {
        _ = state.withLock { $0.subscriptions.removeValue(forKey: id) }
    }
}
