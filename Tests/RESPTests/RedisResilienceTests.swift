import NIOCore
import RESP
import PoolHubTestSupport
import Synchronization
import Testing

/// Outages, timeouts, close and pub/sub against a real redis-server that is stopped and restarted.
@Suite(.serialized, redisAvailable) struct RedisResilienceTests {
    @Test func pubSubDeliversMessages() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let recorder = SubscriptionRecorder(client.subscribe(to: ["news", "alerts"]))
                #expect(await eventually { recorder.events.contains(.subscribed) })
                #expect(try await client.send(["PUBLISH", "news", "hello"]) == .integer(1))
                #expect(try await client.send(["PUBLISH", "alerts", "fire"]) == .integer(1))
                #expect(await eventually { recorder.count { if case .message = $0 { true } else { false } } == 2 })
                #expect(
                    recorder.events == [
                        .subscribed, .message(channel: "news", payload: "hello"), .message(channel: "alerts", payload: "fire"),
                    ])
                recorder.cancel()
            }
        }
    }

    @Test func skippedMessagesNeverReachTheStream() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let recorder = SubscriptionRecorder(
                    client.subscribe(to: ["news"], skipping: { $0.readableBytesView.starts(with: Array("mine:".utf8)) }))
                #expect(await eventually { recorder.events.contains(.subscribed) })
                for payload in ["mine:1", "theirs:1", "mine:2", "theirs:2"] {
                    #expect(try await client.send(["PUBLISH", "news", payload]) == .integer(1))
                }
                #expect(await eventually { recorder.count { if case .message = $0 { true } else { false } } == 2 })
                // Published in order on one connection: once "theirs:2" is in, the skipped ones would have been too.
                #expect(
                    recorder.events == [.subscribed, .message(channel: "news", payload: "theirs:1"), .message(channel: "news", payload: "theirs:2")])
                recorder.cancel()
            }
        }
    }

    @Test func cancellingTheConsumerClosesTheSubscriptionConnection() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let recorder = SubscriptionRecorder(client.subscribe(to: ["c"]))
                #expect(await eventually { recorder.events.contains(.subscribed) })
                #expect(try await client.send(["PUBSUB", "NUMSUB", "c"]).array?.last == .integer(1))
                recorder.cancel()
                #expect(await eventually { recorder.finished })
                #expect(
                    await eventually {
                        (try? await client.send(["PUBSUB", "NUMSUB", "c"]).array?.last) == .integer(0)
                    })
            }
        }
    }

    @Test func serverRestartFailsFastThenRecoversCommandsAndSubscriptions() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server, configure: { $0.commandTimeout = .seconds(30) }) { client async throws in
                #expect(try await client.send(["PING"]) == .simpleString("PONG"))
                let recorder = SubscriptionRecorder(client.subscribe(to: ["news"]))
                #expect(await eventually { recorder.events.contains(.subscribed) })

                // A request waiting on the server when it dies fails with .unavailable, not a timeout.
                async let blocked = redisError { () async throws(RedisError) in try await client.send(["BLPOP", "q", "0"]) }
                try await waitUntilBlocked(on: server)
                server.stop()
                #expect(await blocked?.isUnavailable == true)

                // While it is down every call fails fast: 200 calls, concurrently and in sequence, well within 3 s.
                let clock = ContinuousClock()
                let start = clock.now
                let failures = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<100 {
                        group.addTask { await redisError { () async throws(RedisError) in try await client.send(["PING"]) }?.isUnavailable == true }
                    }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                var sequentialFailures = 0
                for _ in 0..<100 where await redisError({ () async throws(RedisError) in try await client.send(["PING"]) })?.isUnavailable == true {
                    sequentialFailures += 1
                }
                #expect(failures == 100)
                #expect(sequentialFailures == 100)
                #expect(clock.now - start < .seconds(3))
                #expect(!client.isConnected)
                #expect(await eventually { recorder.events.contains(where: \.isDisconnected) })

                // Back on the same port: commands and the subscription recover by themselves.
                try await server.start()
                #expect(await eventually { (try? await client.send(["PING"])) == .simpleString("PONG") })
                #expect(client.isConnected)
                #expect(await eventually { recorder.count { $0 == .subscribed } == 2 })
                let afterDisconnect = recorder.events.drop { !$0.isDisconnected }
                #expect(afterDisconnect.first?.isDisconnected == true)
                #expect(afterDisconnect.last == .subscribed)
                #expect(try await client.send(["PUBLISH", "news", "back"]) == .integer(1))
                #expect(await eventually { recorder.events.last == .message(channel: "news", payload: "back") })
                recorder.cancel()
            }
        }
    }

    @Test func unreachableServerFailsFastFromTheStart() async throws {
        try await RedisServerProcess.with { server async throws in
            server.stop()
            try await withClient(server) { client async throws in
                let clock = ContinuousClock()
                let start = clock.now
                for _ in 0..<50 {
                    #expect(await redisError { () async throws(RedisError) in try await client.send(["PING"]) }?.isUnavailable == true)
                }
                #expect(clock.now - start < .seconds(3))
                let recorder = SubscriptionRecorder(client.subscribe(to: ["x"]))
                #expect(await eventually { recorder.events.first?.isDisconnected == true })
                try await server.start()
                #expect(await eventually { recorder.events.contains(.subscribed) })
                #expect(await eventually { (try? await client.send(["PING"])) != nil })
                recorder.cancel()
            }
        }
    }

    @Test func commandTimeoutClosesTheConnectionAndTheNextCallReconnects() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server, configure: { $0.commandTimeout = .milliseconds(300) }) { client async throws in
                _ = try await client.send(["SET", "k", "v"])
                let error = await redisError { () async throws(RedisError) in try await client.send(["BLPOP", "empty", "5"]) }
                #expect(error == .timeout)
                // The replies of the closed connection can never be mistaken for the next request's.
                #expect(try await client.send(["GET", "k"]).string == "v")
            }
        }
    }

    @Test func closeFailsPendingRequestsEndsSubscriptionsAndIsIdempotent() async throws {
        try await RedisServerProcess.with { server async throws in
            var configuration = RedisConfiguration(port: server.port)
            configuration.commandTimeout = .seconds(30)
            let client = RedisClient(configuration: configuration, logger: .tests)
            _ = try await client.send(["PING"])
            let recorder = SubscriptionRecorder(client.subscribe(to: ["c"]))
            #expect(await eventually { recorder.events.contains(.subscribed) })
            async let blocked = redisError { () async throws(RedisError) in try await client.send(["BLPOP", "q", "0"]) }
            try await waitUntilBlocked(on: server)

            await client.close()
            #expect(await blocked?.isUnavailable == true)
            #expect(await eventually { recorder.finished })
            #expect(!client.isConnected)
            #expect(await redisError { () async throws(RedisError) in try await client.send(["PING"]) } == .unavailable("client is closed"))
            await client.close()

            // A subscription asked of a closed client ends at once (a loop over it would otherwise never end).
            let ended = Atomic(false)
            let late = Task {
                for await _ in client.subscribe(to: ["late"]) {}
                ended.store(true, ordering: .relaxed)
            }
            #expect(await eventually { ended.load(ordering: .relaxed) })
            late.cancel()
        }
    }
}

/// Waits (through a second client: the first one's connection is busy) until a BLPOP is blocked in redis.
private func waitUntilBlocked(on server: RedisServerProcess) async throws {
    try await withClient(server) { observer async throws in
        let blocked = await eventually {
            (try? await observer.send(["INFO", "clients"]).string?.contains("blocked_clients:1")) == true
        }
        #expect(blocked)
    }
}
