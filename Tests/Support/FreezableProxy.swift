// A loopback TCP proxy that can stop forwarding while keeping every connection open (a server that hangs).

import NIOCore
import NIOPosix
import Synchronization

/// Forwards loopback connections to `targetPort` until `freeze()`: from then on bytes in either direction
/// are dropped and no connection is closed, which is what a client sees of a server that hangs (a stopped
/// process, a dead network path) rather than one that is gone.
package final class FreezableProxy: Sendable {
    private let channel: any Channel
    private let state: FrozenState

    package var port: Int { channel.localAddress!.port! }

    package init(targetPort: Int) async throws {
        let state = FrozenState()
        self.state = state
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        outbound.pipeline.addHandler(Relay(peer: inbound, state: state)).flatMap {
                            inbound.pipeline.addHandler(Relay(peer: outbound, state: state))
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// From now on nothing passes, and nothing is closed.
    package func freeze() { state.frozen.store(true, ordering: .relaxed) }

    /// Forwards again (bytes dropped meanwhile stay lost, as with a real network outage).
    package func thaw() { state.frozen.store(false, ordering: .relaxed) }

    package func close() async { try? await channel.close() }
}

private final class FrozenState: Sendable {
    let frozen = Atomic(false)
}

/// Writes what one side reads to the other, unless frozen; closes the other side when one closes (unless frozen).
private final class Relay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let state: FrozenState

    init(peer: any Channel, state: FrozenState) {
        self.peer = peer
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.frozen.load(ordering: .relaxed) else { return }
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !state.frozen.load(ordering: .relaxed) { peer.close(promise: nil) }
    }
}
