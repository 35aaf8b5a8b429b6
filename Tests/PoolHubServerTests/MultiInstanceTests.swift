import Foundation
import NIOHTTP1
import PoolHubTestSupport
import Testing

extension ProcessSuites {
    /// Several real `poolhub` processes sharing one PostgreSQL database and one Redis namespace.
    @Suite(.serialized, .enabled(if: SharedTestServers.enabled, "needs the PostgreSQL and Redis of scripts/test.sh"))
    struct MultiInstanceTests {
        /// Two hubs on one fresh database and namespace.
        func cluster(_ extra: [String: String] = [:]) async throws -> [HubProcess] {
            let environment = try await SharedTestServers.freshEnvironment().merging(extra) { $1 }
            var hubs: [HubProcess] = []
            for _ in 0..<2 {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-cluster-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                hubs.append(try await HubProcess.start(in: directory, environment: environment))
            }
            return hubs
        }

        func register(_ address: String, on hub: HubProcess, slots: Int = 4) async throws -> String {
            let r = try await hub.send(
                .POST, "/api/v1/miners/register",
                json: """
                    {"address": "\(address)", "endpoint": "http://\(address).example.com", "capabilities": {"models": ["llama3.2"], "max_concurrent_jobs": \(slots)}}
                    """)
            #expect(r.status == 201)
            return try #require(r.json["token"] as? String)
        }

        /// 100 miners `0x0000`…`0x0063`, each registered through one instance and heartbeating through the other,
        /// once both instances see all of them online.
        func hundredMinersOnline(on hubs: [HubProcess], slots: Int) async throws {
            for i in 0..<100 {
                let address = String(format: "0x%04x", i)
                let token = try await register(address, on: hubs[i % 2], slots: slots)
                #expect(try await hubs[(i + 1) % 2].send(.POST, "/api/v1/miners/\(address)/status", json: "{}", token: token).status == 200)
            }
            let everyone = await eventually(within: .seconds(10)) {
                let a = try? await hubs[0].send(.GET, "/api/v1/status").json["miners"] as? [String: Int]
                let b = try? await hubs[1].send(.GET, "/api/v1/status").json["miners"] as? [String: Int]
                return a?["online"] == 100 && b?["online"] == 100
            }
            #expect(everyone, "both instances should see all 100 miners online")
        }

        func matchedAddresses(on hub: HubProcess, reserve: Bool = false, limit: Int = 10) async throws -> [String] {
            let body = #"{"job_type": "inference", "model": "llama3.2", "reserve": \#(reserve), "limit": \#(limit)}"#
            let r = try await hub.send(.POST, "/api/v1/match", json: body)
            return (r.json["miners"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        }

        @Test func aRegistrationThroughOneInstanceIsMatchedThroughTheOther() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            let (a, b) = (hubs[0], hubs[1])

            let token = try await register("0xfeed", on: a)
            #expect(try await a.send(.POST, "/api/v1/miners/0xfeed/status", json: "{}", token: token).status == 200)
            let seen = await eventually(within: .seconds(10)) { (try? await matchedAddresses(on: b)) == ["0xfeed"] }
            #expect(seen, "B never matched the miner registered through A")

            // The token issued by A opens the miner on B too.
            #expect(try await b.send(.POST, "/api/v1/miners/0xfeed/status", json: #"{"current_load": 1}"#, token: token).status == 200)
            #expect(try await b.send(.DELETE, "/api/v1/miners/0xfeed", token: token).status == 204)
            let gone = await eventually(within: .seconds(10)) { (try? await matchedAddresses(on: a))?.isEmpty == true }
            #expect(gone, "A still matched the miner deregistered through B")
        }

        @Test func aCordonThroughOneInstanceStopsMatchesOnTheOtherWithinASecond() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            let (a, b) = (hubs[0], hubs[1])
            let token = try await register("0xc0de", on: a)
            #expect(try await a.send(.POST, "/api/v1/miners/0xc0de/status", json: "{}", token: token).status == 200)
            #expect(await eventually(within: .seconds(10)) { (try? await matchedAddresses(on: b)) == ["0xc0de"] })

            #expect(try await a.send(.POST, "/api/v1/miners/0xc0de/cordon").status == 200)
            let stopped = await eventually(within: .seconds(1)) { (try? await matchedAddresses(on: b))?.isEmpty == true }
            #expect(stopped, "B still matched the miner cordoned through A")
            #expect(try await b.send(.GET, "/api/v1/miners/0xc0de").json["cordoned"] as? Bool == true)
            // Heartbeats through B keep it online and do not lift the cordon.
            #expect(try await b.send(.POST, "/api/v1/miners/0xc0de/status", json: "{}", token: token).status == 200)
            #expect(try await matchedAddresses(on: a).isEmpty)

            #expect(try await b.send(.POST, "/api/v1/miners/0xc0de/uncordon").status == 200)
            #expect(await eventually(within: .seconds(1)) { (try? await matchedAddresses(on: a)) == ["0xc0de"] })
        }

        @Test func aTokenResetThroughOneInstanceLocksTheOldTokenOutOfTheOther() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            let (a, b) = (hubs[0], hubs[1])
            let old = try await register("0xbeef", on: a)
            #expect(try await b.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: old).status == 200)
            let reset = try await a.send(.POST, "/api/v1/miners/0xbeef/reset-token")
            let new = try #require(reset.json["token"] as? String)
            let refused = await eventually(within: .seconds(1)) {
                (try? await b.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: old).status) == 401
            }
            #expect(refused, "B still took the old token")
            #expect(try await b.send(.POST, "/api/v1/miners/0xbeef/status", json: "{}", token: new).status == 200)
        }

        /// An AITBC heartbeat names its miner by its key alone: an instance that has not heard of the miner
        /// yet finds it in PostgreSQL.
        @Test func anAITBCMinerRegisteredThroughOneInstanceHeartbeatsThroughTheOther() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            let (a, b) = (hubs[0], hubs[1])
            let registered = try await a.send(
                .POST, "/v1/miners/register",
                json: #"{"miner_id": "aitbc-1", "api_key": "aitbc-secret-1", "addr": "http://10.0.0.5:8101", "capabilities": ["llama3.2"]}"#)
            #expect(registered.status == 200)
            #expect(registered.json["created"] as? Bool == true)
            let beat = try await b.send(.POST, "/v1/miners/heartbeat", json: #"{"status": "active"}"#, token: "aitbc-secret-1")
            #expect(beat.status == 200)
            #expect(beat.json["miner_id"] as? String == "aitbc-1")
            let seen = await eventually(within: .seconds(10)) { (try? await matchedAddresses(on: a)) == ["aitbc-1"] }
            #expect(seen, "A never matched the AITBC miner that heartbeated through B")
            #expect(try await a.send(.POST, "/v1/miners/heartbeat", json: "{}", token: "another-key-123").status == 401)
        }

        @Test func concurrentReservingMatchesOverTwoInstancesNeverOverbook() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            try await hundredMinersOnline(on: hubs, slots: 4)

            let reserved = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<2_000 {
                    group.addTask {
                        let r = try await hubs[i % 2].send(
                            .POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "job-\#(i)"}"#)
                        #expect(r.status == 200)
                        let first = (r.json["miners"] as? [[String: Any]])?.first
                        return first?["reservation"] != nil ? first?["address"] as? String : nil
                    }
                }
                var perMiner: [String: Int] = [:]
                for try await address in group { if let address { perMiner[address, default: 0] += 1 } }
                return perMiner
            }
            #expect(reserved.values.reduce(0, +) == 400)
            #expect(reserved.count == 100)
            #expect(reserved.values.allSatisfy { $0 == 4 })
            for hub in hubs {
                let status = try await hub.send(.GET, "/api/v1/status")
                #expect((status.json["capacity"] as? [String: Int])?["active_reservations"] == 400)
            }
        }

        /// Gangs of three over two instances against 100 miners × 2 slots: every answer is a whole gang on three
        /// distinct miners or nothing, no miner is over-booked, the slots fill up (66 gangs: 198 of 200), and a
        /// DELETE of one member through either instance frees the whole gang on both.
        @Test func concurrentGangsOverTwoInstancesNeverOverbookNorLeaveAPartialGang() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            try await hundredMinersOnline(on: hubs, slots: 2)

            struct Gang: Sendable {
                var job: String
                var addresses: [String]
                var reservations: [String]
            }
            let gangs = try await withThrowingTaskGroup(of: Gang?.self) { group in
                for i in 0..<2_000 {
                    group.addTask {
                        let r = try await hubs[i % 2].send(
                            .POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "gang-\#(i)", "count": 3}"#)
                        #expect(r.status == 200)
                        let listed = r.json["miners"] as? [[String: Any]] ?? []
                        let held = listed.compactMap { ($0["reservation"] as? [String: Any])?["id"] as? String }
                        #expect(held.count == 0 || held.count == 3, "a partial gang: \(held.count)")
                        guard held.count == 3 else {
                            #expect(listed.isEmpty)
                            #expect((r.json["available"] as? Int ?? 3) < 3)
                            return nil
                        }
                        #expect(r.json["available"] as? Int == 3)
                        return Gang(job: "gang-\(i)", addresses: listed.prefix(3).compactMap { $0["address"] as? String }, reservations: held)
                    }
                }
                var gangs: [Gang] = []
                for try await gang in group { if let gang { gangs.append(gang) } }
                return gangs
            }
            let perMiner = Dictionary(grouping: gangs.flatMap(\.addresses), by: { $0 }).mapValues(\.count)
            #expect(gangs.allSatisfy { Set($0.addresses).count == 3 }, "three distinct miners per gang")
            #expect(perMiner.values.allSatisfy { $0 <= 2 }, "no miner over-booked")
            #expect(gangs.count == 66, "the slots fill up: \(gangs.count) gangs")
            for hub in hubs {
                let settled = await eventually(within: .seconds(5)) {
                    let status = try? await hub.send(.GET, "/api/v1/status")
                    return (status?.json["capacity"] as? [String: Int])?["active_reservations"] == 3 * gangs.count
                }
                #expect(settled, "every instance counts the reservations of whole gangs only")
            }

            // A result frees its own miner's slot only; a DELETE of another member, through either instance, the rest.
            let first = try #require(gangs.first)
            let result = try await hubs[1].send(
                .POST, "/api/v1/jobs/\(first.job)/result", json: #"{"address": "\#(first.addresses[0])", "status": "completed"}"#)
            #expect(result.status == 200)
            for (k, gang) in gangs.enumerated() {
                #expect(try await hubs[k % 2].send(.DELETE, "/api/v1/reservations/\(gang.reservations[2])").status == 204)
            }
            for hub in hubs {
                let released = await eventually(within: .seconds(5)) {
                    let status = try? await hub.send(.GET, "/api/v1/status")
                    return (status?.json["capacity"] as? [String: Int])?["active_reservations"] == 0
                }
                #expect(released, "releases free every member on every instance")
            }
        }

        /// A suspension judged through one instance keeps the miner out of the other's matches (the standing is stored
        /// with the statistics and announced with them).
        @Test func aSuspensionThroughOneInstanceHoldsOnTheOther() async throws {
            let hubs = try await cluster()
            defer { hubs.forEach { $0.stop() } }
            let (a, b) = (hubs[0], hubs[1])
            let token = try await register("0x51", on: a)
            #expect(try await a.send(.POST, "/api/v1/miners/0x51/status", json: "{}", token: token).status == 200)
            #expect(await eventually(within: .seconds(10)) { (try? await matchedAddresses(on: b)) == ["0x51"] })
            // Eleven: on the real clock ten results decay to a shade under the ten a threshold needs.
            for i in 0..<11 {
                let r = try await a.send(.POST, "/api/v1/jobs/slow-\(i)/result", json: #"{"address": "0x51", "status": "failed"}"#)
                #expect(r.status == 200)
            }
            let onA = try await a.send(.GET, "/api/v1/miners/0x51").json["standing"] as? [String: Any]
            #expect(onA?["state"] as? String == "suspended", "\(onA ?? [:])")
            let held = await eventually(within: .seconds(2)) { (try? await matchedAddresses(on: b))?.isEmpty == true }
            #expect(held, "B still matched the miner suspended through A")
            let r = try await b.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2"}"#)
            #expect((r.json["rejected"] as? [String: Int])?["suspended"] == 1)
            let standing = try await b.send(.GET, "/api/v1/miners/0x51").json["standing"] as? [String: Any]
            #expect(standing?["state"] as? String == "suspended")
        }

        @Test func killingTheSchedulerHolderHandsTheSchedulersOver() async throws {
            let interval = 1.0
            let hubs = try await cluster(["SCHEDULER_LOCK_INTERVAL_SECONDS": "\(interval)", "SLA_COLLECTION_INTERVAL_SECONDS": "1"])
            defer { hubs.forEach { $0.stop() } }
            func role(_ hub: HubProcess) async -> String? {
                (try? await hub.send(.GET, "/api/v1/status").json["storage"] as? [String: String])?["scheduler"]
            }
            func collects(_ hub: HubProcess) async -> Bool {
                (try? await hub.send(.GET, "/api/v1/status").json["last_sla_pass"] as? String) != nil
            }
            let settled = await eventually(within: .seconds(10)) {
                let roles = [await role(hubs[0]), await role(hubs[1])]
                return roles.contains("leader")
            }
            #expect(settled)
            let roles = [await role(hubs[0]), await role(hubs[1])]
            #expect(roles.sorted { ($0 ?? "") < ($1 ?? "") } == ["follower", "leader"], "exactly one instance holds the lock")
            let holder = roles[0] == "leader" ? 0 : 1
            let other = hubs[1 - holder]
            // Only the holder runs the SLA passes.
            #expect(await eventually(within: .seconds(10)) { await collects(hubs[holder]) })
            #expect(await !collects(other))

            hubs[holder].kill9()
            // PostgreSQL frees a dead session's lock at once; the other takes it at its next attempt.
            let handedOver = await eventually(within: .seconds(interval) + .seconds(2)) { await role(other) == "leader" }
            #expect(handedOver, "the surviving instance did not take the scheduler lock")
            #expect(await eventually(within: .seconds(10)) { await collects(other) }, "the new holder does not run the SLA passes")
        }
    }
}
