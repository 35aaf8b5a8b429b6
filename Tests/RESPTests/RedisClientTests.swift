import NIOCore
import RESP
import PoolHubTestSupport
import Testing

/// Commands against a real redis-server.
@Suite(.serialized, redisAvailable) struct RedisClientTests {
    @Test func commandsRoundTrip() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                #expect(try await client.send(["SET", "greeting", "héllo"]) == .simpleString("OK"))
                #expect(try await client.send(["GET", "greeting"]).string == "héllo")
                #expect(try await client.send(["INCR", "counter"]) == .integer(1))
                #expect(try await client.send(["INCRBY", "counter", "41"]).int == 42)
                #expect(try await client.send(["GET", "counter"]).int == 42)
                #expect(try await client.send(["DEL", "greeting", "counter"]) == .integer(2))
                #expect(try await client.send(["GET", "greeting"]).isNull)
                _ = try await client.send(["RPUSH", "list", "a", "b"])
                #expect(try await client.send(["LRANGE", "list", "0", "-1"]).array?.compactMap(\.string) == ["a", "b"])
                #expect(client.isConnected)
            }
        }
    }

    @Test func binarySafeAndLargeValues() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let binary = ByteBuffer(bytes: Array(0...255) + Array("\r\n$-1\r\n".utf8))
                _ = try await client.send([ByteBuffer(string: "SET"), ByteBuffer(string: "bin"), binary])
                #expect(try await client.send(["GET", "bin"]) == .bulkString(binary))

                let large = String(repeating: "0123456789abcdef", count: 256 * 1024)  // 4 MiB
                _ = try await client.send(["SET", "large", large])
                #expect(try await client.send(["GET", "large"]).string == large)
            }
        }
    }

    @Test func serverErrorsThrowForSendAndAreValuesInPipelines() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                _ = try await client.send(["SET", "text", "abc"])
                let error = await redisError { () async throws(RedisError) in try await client.send(["INCR", "text"]) }
                guard case .server(let message) = error else {
                    Issue.record("expected .server, got \(String(describing: error))")
                    return
                }
                #expect(message.hasPrefix("ERR"))
                guard case .server = await redisError({ () async throws(RedisError) in try await client.send(["NOSUCHCOMMAND"]) }) else {
                    Issue.record("unknown command did not throw .server")
                    return
                }
                // The connection stays usable after errors.
                let replies = try await client.pipeline([["INCR", "n"], ["INCR", "text"], ["INCR", "n"]])
                #expect(replies.count == 3)
                #expect(replies[0] == .integer(1))
                if case .error = replies[1] {} else { Issue.record("expected .error, got \(replies[1])") }
                #expect(replies[2] == .integer(2))
            }
        }
    }

    @Test func pipelineOfAThousandCommands() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let replies = try await client.pipeline(Array(repeating: ["INCR", "p"], count: 1000))
                #expect(replies == (1...1000).map { .integer(Int64($0)) })
                #expect(try await client.pipeline([]) == [])
            }
        }
    }

    @Test func concurrentSendsShareOneConnection() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                // Each caller must get its own reply back, however the concurrent requests were written together.
                let echoedOwn = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for i in 0..<1000 {
                        group.addTask {
                            let echoed = try await client.send(["ECHO", "caller-\(i)"]).string
                            _ = try await client.send(["INCR", "c"])
                            return echoed == "caller-\(i)"
                        }
                    }
                    return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(echoedOwn == 1000)
                #expect(try await client.send(["GET", "c"]).int == 1000)
                let clients = try await client.send(["CLIENT", "LIST", "TYPE", "normal"]).string ?? ""
                #expect(clients.split(separator: "\n").count == 1)
            }
        }
    }

    @Test func scriptsUseEvalshaAndFallBackToEvalAfterScriptFlush() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server) { client async throws in
                let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
                #expect(try await client.send(["SCRIPT", "LOAD", script.source]).string == script.sha1)
                _ = try await client.send(["SCRIPT", "FLUSH"])
                #expect(try await client.send(["SCRIPT", "EXISTS", script.sha1]).array == [.integer(0)])
                #expect(try await client.run(script, keys: ["s"], arguments: ["5"]).int == 5)  // NOSCRIPT → EVAL
                _ = try await client.send(["SCRIPT", "LOAD", script.source])
                #expect(try await client.run(script, keys: ["s"], arguments: ["2"]).int == 7)  // EVALSHA

                let failing = RedisScript("return redis.error_reply('NOPE broken')")
                let error = await redisError { () async throws(RedisError) in
                    try await client.run(failing, keys: [], arguments: [])
                }
                #expect(error == .server("NOPE broken"))
            }
        }
    }

    @Test func selectsTheConfiguredDatabase() async throws {
        try await RedisServerProcess.with { server async throws in
            try await withClient(server, configure: { $0.database = 5 }) { db5 in
                try await withClient(server) { db0 in
                    _ = try await db5.send(["SET", "where", "five"])
                    #expect(try await db5.send(["GET", "where"]).string == "five")
                    #expect(try await db0.send(["GET", "where"]).isNull)
                    #expect(try await db5.send(["CLIENT", "INFO"]).string?.contains(" db=5 ") == true)
                }
            }
        }
    }

    @Test func authenticatesWithPasswordAndACLUser() async throws {
        try await RedisServerProcess.with(arguments: ["--requirepass", "s3cret", "--user", "alice", "on", ">apw", "~*", "&*", "+@all"]) {
            server async throws in
            try await withClient(server) { anonymous in
                guard case .server(let message) = await redisError({ () async throws(RedisError) in try await anonymous.send(["PING"]) }) else {
                    Issue.record("unauthenticated PING did not fail")
                    return
                }
                #expect(message.hasPrefix("NOAUTH"))
            }
            try await withClient(server, configure: { $0.password = "s3cret" }) { client async throws in
                #expect(try await client.send(["PING"]) == .simpleString("PONG"))
            }
            try await withClient(
                server,
                configure: {
                    $0.username = "alice"
                    $0.password = "apw"
                }
            ) { client async throws in
                #expect(try await client.send(["ACL", "WHOAMI"]).string == "alice")
            }
            try await withClient(server, configure: { $0.password = "wrong" }) { client async throws in
                let error = await redisError { () async throws(RedisError) in try await client.send(["PING"]) }
                #expect(error?.isUnavailable == true, "\(String(describing: error))")
                #expect("\(String(describing: error))".contains("AUTH"))
            }
        }
    }

    @Test func configurationFromURL() async throws {
        try await RedisServerProcess.with(arguments: ["--requirepass", "p@ss"]) { server async throws in
            let configuration = try RedisConfiguration(url: "redis://:p%40ss@127.0.0.1:\(server.port)/2")
            let client = RedisClient(configuration: configuration, logger: .tests)
            #expect(try await client.send(["CLIENT", "INFO"]).string?.contains(" db=2 ") == true)
            await client.close()
        }
    }
}
