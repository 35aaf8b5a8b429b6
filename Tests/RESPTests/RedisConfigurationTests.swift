import Testing

@testable import RESP

@Suite struct RedisConfigurationTests {
    @Test func defaults() {
        let configuration = RedisConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.connectTimeout == .seconds(2))
        #expect(configuration.commandTimeout == .seconds(2))
    }

    @Test(arguments: [
        ("redis://localhost", RedisConfiguration(host: "localhost")),
        ("redis://cache.internal:6380", RedisConfiguration(host: "cache.internal", port: 6380)),
        ("redis://localhost/3", RedisConfiguration(host: "localhost", database: 3)),
        ("redis://localhost:6379/", RedisConfiguration(host: "localhost")),
        ("redis://:s3cret@h:1/2", RedisConfiguration(host: "h", port: 1, database: 2, password: "s3cret")),
        ("redis://alice:pw@h", RedisConfiguration(host: "h", username: "alice", password: "pw")),
        ("REDIS://h", RedisConfiguration(host: "h")),
        ("redis://u:p%40ss%3Aw@h", RedisConfiguration(host: "h", username: "u", password: "p@ss:w")),
        ("redis://u:p@ss@h", RedisConfiguration(host: "h", username: "u", password: "p@ss")),
        ("redis://[::1]:6390/1", RedisConfiguration(host: "::1", port: 6390, database: 1)),
        ("redis://[::1]", RedisConfiguration(host: "::1")),
    ])
    func parsesGoodURLs(_ url: String, _ expected: RedisConfiguration) throws {
        #expect(try RedisConfiguration(url: url) == expected)
    }

    @Test(arguments: [
        "localhost:6379", "http://localhost", "redis://", "redis://:6379", "redis://h:0", "redis://h:70000",
        "redis://h:port", "redis://h/-1", "redis://h/db", "redis://h?db=1", "redis://user@h", "redis://u:%zz@h",
        "redis://[::1", "redis://[::1]x",
    ])
    func refusesBadURLs(_ url: String) {
        #expect(throws: RedisConfiguration.Invalid.self) { try RedisConfiguration(url: url) }
    }

    @Test func refusesTLSWithAClearReason() {
        do {
            _ = try RedisConfiguration(url: "rediss://:pw@h:6380")
            Issue.record("rediss accepted")
        } catch {
            #expect(error.description.contains("TLS"))
            #expect(!error.description.contains("pw"))
        }
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:topsecret@h:1/2")
        #expect(!"\(configuration)".contains("topsecret"))
    }
}
