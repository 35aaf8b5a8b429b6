// One TCP connection to Redis.

import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to Redis, authenticated and on the configured database.
final class RedisConnection: Sendable {
    let channel: any Channel
    /// Requests waiting for the event-loop task that writes them all with one flush.
    private let outbox = Mutex(Outbox())

    private struct Outbox {
        var requests: [RedisRequest] = []
        var scheduled = false
    }

    private init(channel: any Channel) {
        self.channel = channel
    }

    var isActive: Bool { channel.isActive }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Connects, then AUTH and SELECT. `onPush` receives replies nobody waits for (subscriber connections).
    static func connect(
        configuration: RedisConfiguration,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RESPDecoder()),
                        RedisChannelHandler(commandTimeout: commandTimeout, logger: logger, onPush: onPush)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .unavailable("connect to \(configuration.host):\(configuration.port) failed: \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            if let password = configuration.password {
                let auth = configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                try await connection.expectOK(auth, what: "AUTH")
            }
            if configuration.database != 0 {
                try await connection.expectOK(["SELECT", String(configuration.database)], what: "SELECT")
            }
        } catch {
            await connection.close()
            throw error
        }
        logger.debug("redis connected", metadata: ["redis": "\(configuration)"])
        return connection
    }

    /// Writes one encoded request and waits for `expected` replies (FIFO).
    func send(_ bytes: ByteBuffer, expected: Int) async throws(RedisError) -> [RESPValue] {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let request = RedisRequest(bytes: bytes, expected: expected, promise: promise)
        // The first request of a burst schedules the write; those queued until it runs go out with it, in call
        // order, as one system call (auto-pipelining: concurrent callers share the flush and the loop wakeup).
        let schedules = outbox.withLock { outbox in
            outbox.requests.append(request)
            defer { outbox.scheduled = true }
            return !outbox.scheduled
        }
        if schedules { channel.eventLoop.execute { self.writeOutbox() } }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw RedisError(connectionFailure: error)
        }
    }

    private func writeOutbox() {
        let requests = outbox.withLock { outbox in
            outbox.scheduled = false
            defer { outbox.requests = [] }
            return outbox.requests
        }
        for request in requests {
            // If the pipeline is already torn down the request never reaches the handler: fail it here.
            channel.write(request).whenFailure { request.promise?.fail(RedisError(connectionFailure: $0)) }
        }
        channel.flush()
    }

    /// Writes a command whose replies arrive as pushes.
    func write(_ bytes: ByteBuffer) async throws(RedisError) {
        do {
            try await channel.writeAndFlush(RedisRequest(bytes: bytes, expected: 0, promise: nil)).get()
        } catch {
            throw RedisError(connectionFailure: error)
        }
    }

    func close() async {
        try? await channel.close().get()
    }

    private func expectOK(_ command: [String], what: String) async throws(RedisError) {
        var buffer = channel.allocator.buffer(capacity: 64)
        RESPEncoder.encode(command, into: &buffer)
        let reply = try await send(buffer, expected: 1)[0]
        if case .error(let message) = reply {
            throw .unavailable("\(what) rejected: \(message)")
        }
    }
}

extension RedisError {
    /// Anything the channel throws that is not already ours means the connection is gone.
    init(connectionFailure error: any Error) {
        self = (error as? RedisError) ?? .unavailable("connection failed: \(error)")
    }
}
