// Pub/sub subscriptions.

import Logging
import NIOCore

/// What a subscription stream yields.
package enum RedisSubscriptionEvent: Sendable, Equatable {
    /// SUBSCRIBE was confirmed for every channel; sent after each (re)connect.
    case subscribed
    case message(channel: String, payload: String)
    /// The subscription connection was lost (or could not be opened); it reconnects by itself.
    /// Messages published meanwhile are lost: pub/sub does not store them.
    case disconnected(String)
}

/// The loop behind `RedisClient.subscribe(to:)`: connect, SUBSCRIBE, forward pushes, and on loss
/// report `.disconnected`, back off and start again, until the consuming task goes away.
struct RedisSubscription: Sendable {
    let channels: [String]
    /// Messages whose payload this answers true for are dropped as they are read, before they cost a task switch.
    let skipping: @Sendable (ByteBuffer) -> Bool
    let configuration: RedisConfiguration
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup

    func run(_ events: AsyncStream<RedisSubscriptionEvent>.Continuation) async {
        defer { events.finish() }
        let channels = Array(Set(channels))
        guard !channels.isEmpty else { return }
        var backoff = ReconnectBackoff()
        var reportedDown = false

        while !Task.isCancelled {
            let (pushes, pushContinuation) = AsyncStream.makeStream(of: RESPValue.self)
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(
                    configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup,
                    onPush: { push in
                        if case .array(let items) = push, items.count == 3, case .bulkString(let payload) = items[2], skipping(payload) {
                            return
                        }
                        pushContinuation.yield(push)
                    }
                )
            } catch {
                if !reportedDown {
                    reportedDown = true
                    events.yield(.disconnected("\(error)"))
                    logger.notice("redis subscription connect failed", metadata: ["error": "\(error)"])
                }
                let delay = backoff.failed(error, now: .now)
                try? await Task.sleep(for: delay)
                continue
            }
            connection.closeFuture.whenComplete { _ in pushContinuation.finish() }

            await withTaskCancellationHandler {
                var command = connection.channel.allocator.buffer(capacity: 64)
                RESPEncoder.encode(["SUBSCRIBE"] + channels, into: &command)
                do {
                    try await connection.write(command)
                } catch {
                    connection.channel.close(promise: nil)
                }
                var unconfirmed = Set(channels)
                for await push in pushes {
                    guard let items = push.array, let kind = items.first?.string?.lowercased() else { continue }
                    switch kind {
                    case "message" where items.count == 3:
                        if let channel = items[1].string, let payload = items[2].string {
                            events.yield(.message(channel: channel, payload: payload))
                        }
                    case "subscribe" where items.count >= 2:
                        if let channel = items[1].string, unconfirmed.remove(channel) != nil, unconfirmed.isEmpty {
                            backoff.succeeded()
                            reportedDown = false
                            logger.debug("redis subscribed", metadata: ["channels": "\(channels)"])
                            events.yield(.subscribed)
                        }
                    default:
                        break
                    }
                }
            } onCancel: {
                connection.channel.close(promise: nil)
            }
            await connection.close()
            guard !Task.isCancelled else { break }

            let reason = "subscription connection to \(configuration.host):\(configuration.port) lost"
            logger.notice("redis subscription lost; resubscribing", metadata: ["channels": "\(channels)"])
            reportedDown = true
            events.yield(.disconnected(reason))
            let delay = backoff.failed(.unavailable(reason), now: .now)
            try? await Task.sleep(for: delay)
        }
    }
}
