import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import RESP

/// The handler in a real pipeline, driven by `EmbeddedChannel` (no network, virtual time).
@Suite struct RedisChannelHandlerTests {
    private func makeChannel(timeout: TimeAmount = .seconds(2)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(RESPDecoder()),
            RedisChannelHandler(commandTimeout: timeout, logger: Logger(label: "test"), onPush: nil)
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    private func send(_ command: [String], expected: Int = 1, on channel: EmbeddedChannel) throws -> EventLoopFuture<[RESPValue]> {
        var bytes = ByteBuffer()
        RESPEncoder.encode(command, into: &bytes)
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        try channel.writeOutbound(RedisRequest(bytes: bytes, expected: expected, promise: promise))
        return promise.futureResult
    }

    private func result(_ future: EventLoopFuture<[RESPValue]>) -> Result<[RESPValue], RedisError>? {
        var outcome: Result<[RESPValue], RedisError>?
        future.assumeIsolated().whenComplete { outcome = $0.mapError { $0 as! RedisError } }
        return outcome
    }

    @Test func writesInOrderAndMatchesRepliesFIFOAcrossSplitReads() throws {
        let channel = try makeChannel()
        let first = try send(["INCR", "k"], on: channel)
        let pipe = try send(["SET", "a", "1"], expected: 2, on: channel)
        let last = try send(["GET", "a"], on: channel)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n"))

        for byte in ":1\r\n+OK\r\n-ERR no\r\n$1\r\n1\r\n".utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(result(first) == .success([.integer(1)]))
        #expect(result(pipe) == .success([.simpleString("OK"), .error("ERR no")]))
        #expect(result(last) == .success([.bulkString(ByteBuffer(string: "1"))]))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func timeoutFailsTheHeadAndClosesTheConnection() throws {
        let channel = try makeChannel(timeout: .milliseconds(500))
        let first = try send(["BLPOP", "q", "0"], on: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        let second = try send(["PING"], on: channel)
        #expect(result(first) == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(result(first) == .failure(.timeout))
        #expect(result(second) == .failure(.unavailable("connection closed after a command timed out")))
        #expect(!channel.isActive)
    }

    @Test func timerFollowsTheNewHeadAfterAReply() throws {
        let channel = try makeChannel(timeout: .milliseconds(500))
        let first = try send(["PING"], on: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        let second = try send(["PING"], on: channel)
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(result(first) == .success([.simpleString("PONG")]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))  // first's deadline passes; second's does not
        #expect(result(second) == nil)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        #expect(result(second) == .failure(.timeout))
    }

    @Test func malformedReplyFailsPendingWithProtocolViolation() throws {
        let channel = try makeChannel()
        let pending = try send(["GET", "a"], on: channel)
        _ = try? channel.writeInbound(ByteBuffer(string: "%garbage\r\n"))
        guard case .failure(.protocolViolation) = result(pending) else {
            Issue.record("got \(String(describing: result(pending)))")
            return
        }
        #expect(!channel.isActive)
    }

    @Test func unsolicitedReplyClosesACommandConnection() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: ":1\r\n"))
        #expect(!channel.isActive)
    }

    @Test func closeFailsPendingAndLaterWrites() throws {
        let channel = try makeChannel()
        let pending = try send(["GET", "a"], on: channel)
        try channel.close().wait()
        #expect(result(pending) == .failure(.unavailable("connection closed")))
    }

    @Test func subscriberConnectionDeliversPushes() throws {
        let channel = EmbeddedChannel()
        let received = PushBox()
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(RESPDecoder()),
            RedisChannelHandler(commandTimeout: .seconds(2), logger: Logger(label: "test"), onPush: { received.append($0) })
        )
        try channel.writeInbound(ByteBuffer(string: "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"))
        #expect(received.values.first?.array?.map(\.string) == ["message", "c", "hi"])
    }
}

/// Collects pushes in the embedded (single-threaded) tests.
final class PushBox: @unchecked Sendable {
    var values: [RESPValue] = []
    func append(_ value: RESPValue) { values.append(value) }
}
