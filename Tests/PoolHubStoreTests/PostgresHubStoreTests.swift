import Foundation
import PoolHubCore
import PoolHubStore
import PoolHubTestSupport
import Testing

/// What only the PostgreSQL store has: several instances on one database, and a server that can go away.
@Suite struct PostgresHubStoreTests {
    @Test(.enabled(if: TestPostgres.isConfigured)) func instancesStartingTogetherMigrateOnce() async throws {
        let location = try await TestPostgres.createDatabase()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask { try await TestDatabase.postgres(location).withStore { try await $0.migrate() } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(applied.sorted { $0.count < $1.count } == [[], [], [], Migration.all.map(\.version)])
    }

    @Test func aClosedPortIsUnavailableQuickly() async throws {
        // Nothing listens on port 1 of loopback: every connection attempt is refused.
        let store = PostgresHubStore(
            location: PostgresLocation(host: "127.0.0.1", port: 1, username: "nobody", database: "none"), logger: testLogger)
        try await withRunning(store) {
            let started = ContinuousClock.now
            await #expect(throws: StoreError.self) { try await store.ping() }
            await expectUnavailable("a closed port answered") { _ = try await store.loadMiners() }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(30), "two calls took \(elapsed)")
        }
    }

    @Test func aStoreWhosePoolIsNotRunningIsUnavailable() async throws {
        let store = PostgresHubStore(
            location: PostgresLocation(host: "127.0.0.1", port: 1, username: "nobody", database: "none"),
            connectionWait: .milliseconds(300), logger: testLogger)
        let started = ContinuousClock.now
        await #expect(throws: StoreError.unavailable("no connection to PostgreSQL within 0.3 seconds")) { try await store.ping() }
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test(.enabled(if: TestPostgres.isConfigured)) func sqlErrorsAreNotUnavailability() async throws {
        let location = try await TestPostgres.createDatabase()
        try await TestDatabase.postgres(location).withStore { store in
            // Not migrated: the tables are missing, which is an SQL error from a live server.
            do {
                _ = try await store.loadMiners()
                Issue.record("loaded miners without tables")
            } catch let error as StoreError {
                Issue.record("SQL error reported as \(error)")
            } catch {}
        }
    }

    @Test(.enabled(if: ThrowawayCluster.isPossible), .timeLimit(.minutes(2)))
    func recoversWhenTheServerComesBack() async throws {
        let cluster = try await ThrowawayCluster()
        defer { cluster.destroy() }
        try await cluster.start()
        // A connection wait for a busy box (the first connection to a fresh cluster may take seconds there).
        let store = PostgresHubStore(location: cluster.location, connectionWait: .seconds(10), logger: testLogger)
        try await withRunning(store) {
            try await store.migrate()
            #expect(try await store.insertMiner(sampleMiner(), credential: credential, stats: MinerStats(decayedAt: t0)))

            try await cluster.stop()
            let started = ContinuousClock.now
            await expectUnavailable("a stopped server answered") { _ = try await store.loadMiners() }
            let failedAfter = ContinuousClock.now - started
            #expect(failedAfter < .seconds(30), "unavailable only after \(failedAfter)")
            // Still down: every call answers (bounds are generous: they say "does not hang", not how fast).
            let again = ContinuousClock.now
            await #expect(throws: StoreError.self) { try await store.ping() }
            #expect(ContinuousClock.now - again < .seconds(30))

            try await cluster.start()
            let restarted = ContinuousClock.now
            let recovered = await eventually(within: .seconds(30), every: .milliseconds(200)) {
                (try? await store.ping()) != nil
            }
            #expect(recovered, "no recovery within 30 s")
            print("PostgreSQL stopped: unavailable after \(failedAfter); restarted: answering again after \(ContinuousClock.now - restarted)")
            #expect(try await store.loadMiners().map(\.miner) == [sampleMiner()])
        }
    }
}

extension PostgresHubStoreTests {
    /// A server that stops answering with connections open (leased ones included): a query written to it is never
    /// answered, yet every call answers by its deadline, inside a request and out, and the store recovers.
    @Test(.enabled(if: TestPostgres.isConfigured), .timeLimit(.minutes(2)))
    func aServerThatHangsIsUnavailableByTheDeadline() async throws {
        let (location, proxy) = try await TestPostgres.createDatabaseBehindProxy()
        // The first connection, through the proxy, once took over 10 s under the full suite; the deadlines below are
        // the requests' own, not this wait.
        let store = PostgresHubStore(location: location, connectionWait: .seconds(30), logger: testLogger)
        try await withRunning(store) {
            try await store.migrate()
            try await store.ping()  // a connection is open and idle in the pool
            proxy.freeze()
            let started = ContinuousClock.now
            await expectUnavailable("a hung server answered") {
                try await StoreDeadline.within(.now + .seconds(1)) { try await store.ping() }
            }
            let took = ContinuousClock.now - started
            // The deadline (1 s), not the connection wait (10 s), the pool's minute of retries nor a query that never ends
            // (generous: a busy box).
            #expect(took < .seconds(8), "answered after \(took)")
            // Several callers at once, each by its own deadline.
            let answers = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        (try? await StoreDeadline.within(.now + .seconds(1)) { _ = try await store.loadMiners() }) == nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(answers == [true, true, true, true])
            #expect(ContinuousClock.now - started < .seconds(20))
        }
        await proxy.close()
    }
}

/// Expects `call` to fail with `StoreError.unavailable`; anything else (an answer, another error) is an issue.
func expectUnavailable(_ answered: String, _ call: () async throws -> Void) async {
    do {
        try await call()
        Issue.record(Comment(rawValue: answered))
    } catch StoreError.unavailable {
    } catch {
        Issue.record("not unavailable: \(error)")
    }
}
