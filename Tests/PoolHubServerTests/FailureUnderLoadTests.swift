// Failures under load through two instances: Redis losing its data, kill -9 of an instance, PostgreSQL going away.

import Foundation
import Logging
import NIOHTTP1
import PoolHubTestSupport
import RESP
import Synchronization
import Testing

/// What a run of reserving matches was granted, per miner, and how the hubs answered.
final class Ledger: Sendable {
    private struct State {
        var granted: [String: Set<String>] = [:]
        var statuses: [UInt: Int] = [:]
        var retryAfterMissing = 0
        var failures: [String] = []
        var slowest: Duration = .zero
    }

    private let state = Mutex(State())

    func record(_ answer: (status: UInt, json: [String: Any], headers: HTTPHeaders), took: Duration) {
        state.withLock { s in
            s.statuses[answer.status, default: 0] += 1
            s.slowest = max(s.slowest, took)
            if answer.status == 503, answer.headers.first(name: "Retry-After") == nil { s.retryAfterMissing += 1 }
            if let first = (answer.json["miners"] as? [[String: Any]])?.first, let address = first["address"] as? String,
                let id = (first["reservation"] as? [String: Any])?["id"] as? String
            {
                s.granted[address, default: []].insert(id)
            }
        }
    }

    func fail(_ error: any Error) { state.withLock { $0.failures.append("\(error)") } }

    var granted: [String: Set<String>] { state.withLock { $0.granted } }
    var statuses: [UInt: Int] { state.withLock { $0.statuses } }
    var retryAfterMissing: Int { state.withLock { $0.retryAfterMissing } }
    var failures: [String] { state.withLock { $0.failures } }
    var slowest: Duration { state.withLock { $0.slowest } }

    /// Miners holding more live reservations than their slots.
    func overbooked(slots: Int) -> [String: Int] { granted.filter { $0.value.count > slots }.mapValues(\.count) }
}

extension ProcessSuites {
    @Suite(.serialized, .enabled(if: SharedTestServers.enabled, "needs the PostgreSQL and redis-server of scripts/test.sh"))
    struct FailureUnderLoadTests {
        static let slots = 2
        static let miners = 12

        func start(_ environment: [String: String]) async throws -> HubProcess {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-failure-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try await HubProcess.start(in: directory, environment: environment)
        }

        /// Registers the fleet through `hub` and makes it online with no load.
        func fleet(on hub: HubProcess) async throws -> [(address: String, token: String)] {
            var fleet: [(String, String)] = []
            for i in 0..<Self.miners {
                let address = "0xf\(i)"
                let r = try await hub.send(
                    .POST, "/api/v1/miners/register",
                    json: """
                        {"address": "\(address)", "endpoint": "http://m\(i).example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": \(Self.slots)}}
                        """)
                #expect(r.status == 201)
                let token = try #require(r.json["token"] as? String)
                #expect(try await hub.send(.POST, "/api/v1/miners/\(address)/status", json: #"{"current_load": 0}"#, token: token).status == 200)
                fleet.append((address, token))
            }
            return fleet
        }

        /// `workers` loops sending reserving matches, alternating between the hubs, until `stop` is set.
        func load(_ hubs: [HubProcess], ledger: Ledger, stop: StopSignal, workers: Int = 4) async {
            await load(HubSet(hubs), ledger: ledger, stop: stop, workers: workers)
        }

        func load(_ set: HubSet, ledger: Ledger, stop: StopSignal, workers: Int = 4) async {
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<workers {
                    group.addTask {
                        var n = 0
                        while !stop.isSet {
                            n += 1
                            let hubs = set.hubs
                            let hub = hubs[(w + n) % hubs.count]
                            let body = #"{"job_type": "inference", "model": "llama3.2", "job_id": "w\#(w)-\#(n)-\#(UUID().uuidString.prefix(8))"}"#
                            let started = ContinuousClock.now
                            do {
                                ledger.record(try await hub.send(.POST, "/api/v1/match", json: body), took: ContinuousClock.now - started)
                            } catch {
                                ledger.fail(error)
                            }
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
            }
        }

        /// Redis killed under load and started again, without its data (no persistence) or with it (the append-only
        /// file): never an over-booking, 503 with Retry-After meanwhile, and recovery without restarting a hub.
        @Test(.timeLimit(.minutes(3)), arguments: [false, true])
        func redisRestartedNeverCausesADoubleBooking(keepingItsData persistent: Bool) async throws {
            let files = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-aof-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
            let persistence = persistent ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", files.path] : []
            try await RedisServerProcess.with(arguments: persistence) { redis in
                var environment = try await SharedTestServers.freshEnvironment()
                environment["REDIS_URL"] = redis.url
                environment["REDIS_RECOVERY_SECONDS"] = "3"
                let a = try await start(environment)
                defer { a.stop() }
                let b = try await start(environment)
                defer { b.stop() }
                _ = try await fleet(on: a)
                // Both instances have seen every miner (announced through Redis) before the load starts.
                #expect(
                    await eventually(within: .seconds(10)) {
                        ((try? await b.send(.GET, "/api/v1/status").json["miners"] as? [String: Any])?["online"] as? Int) == Self.miners
                    })

                let ledger = Ledger()
                let stop = StopSignal()
                let load = Task { await self.load([a, b], ledger: ledger, stop: stop) }
                // Fill the fleet through both instances, then Redis forgets everything.
                #expect(await eventually(within: .seconds(30)) { ledger.granted.values.map(\.count).reduce(0, +) >= Self.miners * Self.slots })
                let epochKey = [environment["REDIS_NAMESPACE"]! + ":epoch"]
                let epochBefore = try await RedisCommand.string(["GET"] + epochKey, at: redis.port)
                redis.stop()
                try await Task.sleep(for: .milliseconds(300))
                try await redis.start()
                // Recovery without restarting a hub: health is back, and reserving matches are answered again (full).
                let recovered = await eventually(within: .seconds(30)) {
                    let first = try? await a.send(.GET, "/health").status
                    let second = try? await b.send(.GET, "/health").status
                    return first == 200 && second == 200
                }
                let answeredBefore = ledger.statuses[200, default: 0]
                #expect(await eventually(within: .seconds(20)) { ledger.statuses[200, default: 0] > answeredBefore + 20 })
                stop.set()
                await load.value
                #expect(recovered)
                #expect(
                    ledger.overbooked(slots: Self.slots).isEmpty, "over-booked after Redis lost its data: \(ledger.overbooked(slots: Self.slots))")
                #expect(ledger.granted.values.map(\.count).reduce(0, +) == Self.miners * Self.slots)
                #expect((ledger.statuses[503] ?? 0) > 0, "no 503 while Redis was down or the instances wrote back their reservations")
                #expect(ledger.retryAfterMissing == 0)
                #expect(Set(ledger.statuses.keys).isSubset(of: [200, 503]), "\(ledger.statuses)")
                #expect(ledger.failures.isEmpty, "requests without an answer: \(ledger.failures.prefix(3))")
                // The append-only file keeps the epoch (no recovery window); without it a new epoch was declared.
                let epochAfter = try await RedisCommand.string(["GET"] + epochKey, at: redis.port)
                #expect(epochBefore != nil && epochAfter != nil)
                #expect((epochBefore == epochAfter) == persistent)
            }
        }

        /// After a flush the connections stay up, so nothing reconnects: the instance that holds the reservations notices by
        /// its epoch check and writes them back, and an instance whose whole view comes from the flushed Redis (started
        /// after the flush) never grants a slot that is already taken.
        @Test(.timeLimit(.minutes(3))) func aRedisFlushIsNoticedByAnInstanceThatDoesNotReconnect() async throws {
            try await RedisServerProcess.with { redis in
                var environment = try await SharedTestServers.freshEnvironment()
                environment["REDIS_URL"] = redis.url
                environment["REDIS_RECOVERY_SECONDS"] = "3"
                let b = try await start(environment)
                defer { b.stop() }
                _ = try await fleet(on: b)
                // Every slot taken through B (once the recovery window of the fresh namespace is over).
                let ledger = Ledger()
                var n = 0
                let full = await eventually(within: .seconds(30)) {
                    n += 1
                    let body = #"{"job_type": "inference", "model": "llama3.2", "job_id": "b-\#(n)"}"#
                    if let answer = try? await b.send(.POST, "/api/v1/match", json: body) { ledger.record(answer, took: .zero) }
                    return ledger.granted.values.map(\.count).reduce(0, +) == Self.miners * Self.slots
                }
                #expect(full)
                try await RedisCommand.send(["FLUSHALL"], to: redis.port)
                let c = try await start(environment)
                defer { c.stop() }
                #expect(
                    await eventually(within: .seconds(10)) {
                        ((try? await c.send(.GET, "/api/v1/status").json["miners"] as? [String: Any])?["online"] as? Int) == Self.miners
                    })
                let stop = StopSignal()
                let load = Task { await self.load([c], ledger: ledger, stop: stop, workers: 2) }
                let answered = ledger.statuses[200, default: 0]
                #expect(await eventually(within: .seconds(20)) { ledger.statuses[200, default: 0] > answered + 20 })
                stop.set()
                await load.value
                #expect(ledger.overbooked(slots: Self.slots).isEmpty, "over-booked after a flush: \(ledger.overbooked(slots: Self.slots))")
                #expect(ledger.granted.values.map(\.count).reduce(0, +) == Self.miners * Self.slots)
                #expect(ledger.failures.isEmpty, "requests without an answer: \(ledger.failures.prefix(3))")
                // C mirrors what B wrote back: its own view counts the slots as taken.
                let capacity = try await c.send(.GET, "/api/v1/status").json["capacity"] as? [String: Any]
                #expect(capacity?["active_reservations"] as? Int == Self.miners * Self.slots, "C's view: \(capacity ?? [:])")
            }
        }

        /// kill -9 of one instance under load, and its restart: the other answers throughout, nothing is over-booked, and
        /// every match that was answered (by either, the killed one included) is billed.
        @Test(.timeLimit(.minutes(3))) func killingAnInstanceUnderLoadLosesNoAnsweredCountAndOverbooksNothing() async throws {
            let environment = try await SharedTestServers.freshEnvironment()
            let a = try await start(environment)
            defer { a.stop() }
            var b = try await start(environment)
            defer { b.stop() }
            _ = try await fleet(on: a)
            #expect(
                await eventually(within: .seconds(10)) {
                    ((try? await b.send(.GET, "/api/v1/status").json["miners"] as? [String: Any])?["online"] as? Int) == Self.miners
                })
            let ledger = Ledger()
            let survivor = Ledger()
            let stop = StopSignal()
            let set = HubSet([a, b])
            let load = Task { await self.load(set, ledger: ledger, stop: stop) }
            let onA = Task { await self.load([a], ledger: survivor, stop: stop, workers: 1) }
            #expect(await eventually(within: .seconds(30)) { ledger.statuses[200, default: 0] >= 30 })
            b.kill9()
            set.replace([a])
            // The survivor answers throughout: a match through A right after the kill.
            #expect(try await a.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2"}"#).status == 200)
            b = try await start(environment)
            set.replace([a, b])
            let answered = ledger.statuses[200, default: 0]
            #expect(await eventually(within: .seconds(20)) { ledger.statuses[200, default: 0] > answered + 30 })
            stop.set()
            await load.value
            await onA.value

            #expect(survivor.failures.isEmpty, "the surviving instance failed requests: \(survivor.failures.prefix(3))")
            #expect(Set(survivor.statuses.keys) == [200], "\(survivor.statuses)")
            let granted = ledger.granted.merging(survivor.granted) { $0.union($1) }
            #expect(granted.filter { $0.value.count > Self.slots }.isEmpty, "over-booked: \(granted.filter { $0.value.count > Self.slots })")
            // Every answered match is billed: the killed instance answered only what it had stored. It may also have
            // stored counts of matches it was killed before answering (the requests that failed), never more.
            let total = ledger.statuses[200, default: 0] + survivor.statuses[200, default: 0] + 1
            let unanswered = ledger.failures.count + survivor.failures.count
            let billed = await eventually(within: .seconds(30), every: .milliseconds(500)) { ((try? await billedCalls(a)) ?? 0) >= total }
            let finally = (try? await billedCalls(a)) ?? -1
            #expect(billed, "billed \(finally) of \(total) answered matches")
            #expect(finally <= total + unanswered, "billed \(finally): more than \(total) answered and \(unanswered) unanswered")
        }

        /// A Redis that hangs (connections open, nothing answered): every request still answers within the stated
        /// bound (Redis's 2 s connect and 2 s command timeouts), reserving matches with 503, and all recovers.
        @Test(.timeLimit(.minutes(3))) func aRedisThatHangsBoundsEveryRequest() async throws {
            try await RedisServerProcess.with { redis in
                let proxy = try await FreezableProxy(targetPort: redis.port)
                var environment = try await SharedTestServers.freshEnvironment()
                environment["REDIS_URL"] = "redis://127.0.0.1:\(proxy.port)"
                let a = try await start(environment)
                defer { a.stop() }
                let fleet = try await fleet(on: a)
                let reserving = #"{"job_type": "inference", "model": "llama3.2"}"#
                #expect(try await a.send(.POST, "/api/v1/match", json: reserving).status == 200)

                proxy.freeze()
                let calls: [(String, HTTPMethod, String, String?, String?, UInt)] = [
                    ("reserving match", .POST, "/api/v1/match", reserving, nil, 503),
                    (
                        "match without reservation", .POST, "/api/v1/match", #"{"job_type": "inference", "model": "llama3.2", "reserve": false}"#,
                        nil, 200
                    ),
                    ("heartbeat", .POST, "/api/v1/miners/\(fleet[1].address)/status", "{}", fleet[1].token, 200),
                    ("health", .GET, "/health", nil, nil, 503),
                ]
                for (name, method, path, body, token, expected) in calls {
                    let started = ContinuousClock.now
                    let answer = try await a.send(method, path, json: body, token: token)
                    let took = ContinuousClock.now - started
                    #expect(answer.status == expected, "\(name)")
                    // The bound is 2 s connect + 2 s command; more margin for a busy box, far below a hang.
                    #expect(took < .seconds(8), "\(name) took \(took)")
                }
                proxy.thaw()
                let recovered = await eventually(within: .seconds(30), every: .milliseconds(250)) {
                    (try? await a.send(.POST, "/api/v1/match", json: reserving).status) == 200
                }
                #expect(recovered, "reserving matches did not recover after Redis answered again")
                await proxy.close()
            }
        }

        /// The answered match requests billed so far (recorded and not yet recorded windows).
        func billedCalls(_ hub: HubProcess) async throws -> Int? {
            let usage = try await hub.send(.GET, "/sla/billing/usage")
            guard usage.status == 200 else { return nil }
            let quantity = ((usage.json["totals"] as? [String: Any])?["api_calls"] as? [String: Any])?["quantity"] as? String
            return quantity.flatMap(Double.init).map { Int($0) } ?? 0
        }

        @Test(.enabled(if: ThrowawayCluster.isPossible, "needs PostgreSQL 15 binaries and, as root, the pgci user"), .timeLimit(.minutes(4)))
        func postgresStoppedUnderLoadBoundsEveryWaitAndLosesNoCount() async throws {
            let cluster = try await ThrowawayCluster()
            defer { cluster.destroy() }
            try await cluster.start()
            try await RedisServerProcess.with { redis in
                let environment = [
                    "DATABASE_URL": cluster.location.url, "REDIS_URL": redis.url, "REDIS_NAMESPACE": "pgstop",
                    "DATABASE_TIMEOUT_SECONDS": "5", "REDIS_RECOVERY_SECONDS": "0",
                ]
                let a = try await start(environment)
                defer { a.stop() }
                let b = try await start(environment)
                defer { b.stop() }
                let fleet = try await fleet(on: a)
                #expect(
                    await eventually(within: .seconds(10)) {
                        ((try? await b.send(.GET, "/api/v1/status").json["miners"] as? [String: Any])?["online"] as? Int) == Self.miners
                    })

                let ledger = Ledger()
                let stop = StopSignal()
                let load = Task { await self.load([a, b], ledger: ledger, stop: stop) }
                #expect(await eventually(within: .seconds(30)) { ledger.statuses[200, default: 0] >= 20 })
                try await cluster.stop()

                // While PostgreSQL is down: writes answer 503 with Retry-After within one DATABASE_TIMEOUT_SECONDS (5 s;
                // 4 s more for a busy box, still short of a second timeout), through either instance. A heartbeat is a
                // write only when it is a transition (here the miner stops taking work); a plain one is answered from memory.
                let writes: [(path: String, body: String, token: String?)] = [
                    (
                        "/api/v1/miners/register",
                        #"{"address": "0xnew", "endpoint": "http://n.example.com", "capabilities": {"models": ["x"], "max_concurrent_jobs": 1}}"#, nil
                    ),
                    // A heartbeat that changes availability is a transition, stored at once (a plain one is not: below).
                    ("/api/v1/miners/\(fleet[0].address)/status", #"{"available": false}"#, fleet[0].token),
                    ("/api/v1/jobs/j-outage/result", #"{"address": "\#(fleet[0].address)", "status": "failed"}"#, nil),
                ]
                for hub in [a, b] {
                    for write in writes {
                        let started = ContinuousClock.now
                        let answer = try await hub.send(.POST, write.path, json: write.body, token: write.token)
                        let took = ContinuousClock.now - started
                        #expect(answer.status == 503, "\(write.path) on \(hub.url)")
                        #expect(answer.headers.first(name: "Retry-After") != nil, "\(write.path)")
                        #expect(took < .seconds(9), "\(write.path) took \(took)")
                    }
                }
                for hub in [a, b] {
                    let beat = try await hub.send(
                        .POST, "/api/v1/miners/\(fleet[1].address)/status", json: #"{"current_load": 0}"#, token: fleet[1].token)
                    #expect(beat.status == 200, "a plain heartbeat waits for no storage")
                }
                // Matching goes on meanwhile.
                let during = ledger.statuses[200, default: 0]
                #expect(await eventually(within: .seconds(10)) { ledger.statuses[200, default: 0] > during + 20 })

                try await cluster.start()
                let recovered = await eventually(within: .seconds(60), every: .milliseconds(250)) {
                    let first = try? await a.send(.GET, "/health").status
                    let second = try? await b.send(.GET, "/health").status
                    return first == 200 && second == 200
                }
                #expect(recovered, "the hubs did not recover after PostgreSQL came back")
                stop.set()
                await load.value

                // No match waited on the database beyond its bound (250 ms; the rest is a busy box, and a stall behind a
                // count write would take the 5 s timeout), none hung, and every answered match is billed once the
                // counts kept in memory are written.
                #expect(ledger.slowest < .seconds(4), "the slowest match took \(ledger.slowest)")
                #expect(ledger.failures.isEmpty, "requests without an answer: \(ledger.failures.prefix(3))")
                #expect(ledger.overbooked(slots: Self.slots).isEmpty)
                let answered = ledger.statuses[200, default: 0]
                let billed = await eventually(within: .seconds(60), every: .milliseconds(500)) {
                    (try? await billedCalls(a)) == answered
                }
                let finally = (try? await billedCalls(a)) ?? -1
                #expect(billed, "billed \(finally) of \(answered) answered matches")
                #expect(a.process.isRunning && b.process.isRunning)
            }
        }
    }
}

/// The hubs a load sends to; replaced while one is killed and restarted.
final class HubSet: Sendable {
    private let current: Mutex<[HubProcess]>
    init(_ hubs: [HubProcess]) { current = Mutex(hubs) }
    var hubs: [HubProcess] { current.withLock { $0 } }
    func replace(_ hubs: [HubProcess]) { current.withLock { $0 = hubs } }
}

/// Tells load loops to end.
final class StopSignal: Sendable {
    private let flag = Atomic(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// One command to a test Redis through the hub's own client (a flush, say).
enum RedisCommand {
    static func send(_ arguments: [String], to port: Int) async throws {
        _ = try await string(arguments, at: port)
    }

    /// The reply as a string (nil for a null reply).
    static func string(_ arguments: [String], at port: Int) async throws -> String? {
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(port)"), logger: Logger(label: "test-redis"))
        do {
            let reply = try await client.send(arguments)
            await client.close()
            return reply.string
        } catch {
            await client.close()
            throw error
        }
    }
}
