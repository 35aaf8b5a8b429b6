// The NIO handler that drives the connection state machine.

import Logging
import NIOCore

/// What `RedisConnection` writes into the pipeline: encoded command bytes and who waits for the replies.
struct RedisRequest: Sendable {
    var bytes: ByteBuffer
    /// Replies to collect; 0 for commands whose answers arrive as pushes (SUBSCRIBE).
    var expected: Int
    var promise: EventLoopPromise<[RESPValue]>?
}

/// Thin NIO shell around `RedisConnectionStateMachine`: writes requests in order, matches replies
/// FIFO, and runs the single command-timeout timer (the oldest request always expires first).
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var stateMachine: RedisConnectionStateMachine<EventLoopPromise<[RESPValue]>>
    private let commandTimeout: TimeAmount
    private let onPush: (@Sendable (RESPValue) -> Void)?
    private let logger: Logger
    private var timer: Scheduled<Void>?

    init(commandTimeout: TimeAmount, logger: Logger, onPush: (@Sendable (RESPValue) -> Void)?) {
        self.stateMachine = RedisConnectionStateMachine(acceptsPushes: onPush != nil)
        self.commandTimeout = commandTimeout
        self.logger = logger
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard let replies = request.promise, request.expected > 0 else {
            context.write(wrapOutboundOut(request.bytes), promise: promise)
            return
        }
        switch stateMachine.enqueue(replies, expected: request.expected, deadline: context.eventLoop.now + commandTimeout) {
        case .write:
            context.write(wrapOutboundOut(request.bytes), promise: promise)
            armTimer(context: context)
        case .fail(let waiter, let error):
            waiter.fail(error)
            promise?.fail(error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        switch stateMachine.receive(value) {
        case .none:
            break
        case .succeed(let waiter, let replies):
            stateMachine.progressed(deadline: context.eventLoop.now + commandTimeout)
            waiter.succeed(replies)
            if stateMachine.nextDeadline == nil {
                timer?.cancel()
                timer = nil
            }
        case .push(let value):
            onPush?(value)
        case .close(let waiters, let error):
            logger.notice("closing redis connection", metadata: ["reason": "\(error)"])
            context.close(promise: nil)
            fail(waiters, with: error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let redisError = (error as? RedisError) ?? .unavailable("connection error: \(error)")
        let (waiters, firstError) = stateMachine.closed(redisError)
        logger.notice("closing redis connection", metadata: ["reason": "\(firstError)"])
        context.close(promise: nil)
        fail(waiters, with: firstError)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let (waiters, error) = stateMachine.closed(.unavailable("connection closed"))
        fail(waiters, with: error)
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func fail(_ waiters: [EventLoopPromise<[RESPValue]>], with error: RedisError) {
        for waiter in waiters { waiter.fail(error) }
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard timer == nil, let deadline = stateMachine.nextDeadline else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        switch stateMachine.timerFired(now: context.eventLoop.now) {
        case .none:
            break
        case .rearm:
            armTimer(context: context)
        case .close(let timedOut, let others):
            logger.notice("redis command timed out; closing the connection", metadata: ["waiting": "\(others.count)"])
            // Close before failing: a caller resumed by the failure must already see the channel inactive
            // and reconnect, rather than queue on this dead connection.
            context.close(promise: nil)
            timedOut.fail(RedisError.timeout)
            fail(others, with: .unavailable("connection closed after a command timed out"))
        }
    }
}
