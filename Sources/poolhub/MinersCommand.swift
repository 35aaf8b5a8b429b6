// `poolhub miners …`: list, show (the score term by term), cordon, uncordon, drain, reset-token.

import ArgumentParser
import Foundation
import NIOHTTP1

struct MinersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "miners", abstract: "List and inspect miners; cordon, uncordon, drain them or give one a new token.",
        subcommands: [List.self, Show.self, Cordon.self, Uncordon.self, Drain.self, ResetToken.self])

    /// The path of one miner; addresses are [A-Za-z0-9._:-] only, so they need no escaping.
    static func path(_ address: String, _ action: String = "") -> String {
        "/api/v1/miners/\(address)" + (action.isEmpty ? "" : "/\(action)")
    }

    static func summary(_ m: [String: Any]) -> String {
        let status = m["status"] as? [String: Any] ?? [:]
        let state = (m["cordoned"] as? Bool) == true ? "cordoned" : ((status["online"] as? Bool) == true ? "online" : "offline")
        return "\(cell(m["address"])): \(state), load \(cell(status["current_load"])), \(cell(status["reserved"])) reserved"
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered miners (every page, by address).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Only miners serving this model.") var model: String?
        @Flag(help: "Only online miners.") var online = false
        @Flag(help: "Only cordoned miners.") var cordoned = false

        func run() async throws {
            try await runAdmin {
                var query = ["limit=500"]
                if let model { query.append("model=\(model.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? model)") }
                if online { query.append("online=true") }
                if cordoned { query.append("cordoned=true") }
                var all: [[String: Any]] = []
                var cursor: String?
                repeat {
                    let page = try await admin.client.call(
                        .GET, "/api/v1/miners?" + (query + (cursor.map { ["cursor=\($0)"] } ?? [])).joined(separator: "&"))
                    let object = page as? [String: Any] ?? [:]
                    all += object["miners"] as? [[String: Any]] ?? []
                    cursor = object["next_cursor"] as? String
                } while cursor != nil
                if admin.json { return try printJSON(all) }
                var table = Table("ADDRESS", "ONLINE", "AVAILABLE", "CORDONED", "LOAD", "RESERVED", "SLOTS", "SCORE", "MODELS")
                for m in all {
                    let status = m["status"] as? [String: Any] ?? [:]
                    let capabilities = m["capabilities"] as? [String: Any] ?? [:]
                    table.add(
                        cell(m["address"]), flag(status["online"]), flag(status["available"]), flag(m["cordoned"]), cell(status["current_load"]),
                        cell(status["reserved"]), cell(capabilities["max_concurrent_jobs"]), cell(m["score"]),
                        (capabilities["models"] as? [String] ?? []).joined(separator: ","))
                }
                print(table.text)
                print("\(all.count) miner\(all.count == 1 ? "" : "s")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one miner, with its score explained term by term.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The miner's address.") var address: String

        func run() async throws {
            try await runAdmin {
                let miner = try await admin.client.call(.GET, MinersCommand.path(address)) as? [String: Any] ?? [:]
                let score = try await admin.client.call(.GET, MinersCommand.path(address, "score")) as? [String: Any] ?? [:]
                if admin.json { return try printJSON(["miner": miner, "score": score]) }
                let status = miner["status"] as? [String: Any] ?? [:]
                let capabilities = miner["capabilities"] as? [String: Any] ?? [:]
                let stats = miner["stats"] as? [String: Any] ?? [:]
                var facts = Table("", "")
                facts.header = ["address", cell(miner["address"])]
                facts.add("endpoint", cell(miner["endpoint"]))
                facts.add("models", (capabilities["models"] as? [String] ?? []).joined(separator: ", "))
                facts.add("gpu memory", "\(cell(capabilities["gpu_memory"])) MiB")
                facts.add(
                    "slots",
                    "\(cell(capabilities["max_concurrent_jobs"])), load \(cell(status["current_load"])), reserved \(cell(status["reserved"]))")
                facts.add(
                    "online", "\(flag(status["online"])), available \(flag(status["available"])), last heartbeat \(cell(status["last_heartbeat_at"]))"
                )
                facts.add("cordoned", (miner["cordoned"] as? Bool) == true ? "yes, since \(cell(miner["cordoned_at"]))" : "no")
                let standing = miner["standing"] as? [String: Any] ?? [:]
                switch standing["state"] as? String {
                case "suspended"?:
                    facts.add("standing", "suspended until \(cell(standing["until"])), then \(cell(standing["probation_jobs"])) probation jobs")
                case "probation"?: facts.add("standing", "on probation, \(cell(standing["probation_jobs"])) jobs left")
                default: facts.add("standing", cell(standing["state"]))
                }
                facts.add("region", cell(miner["region"]))
                facts.add("price", "\(cell(miner["price"])) USD per GPU hour")
                facts.add("jobs", "\(cell(stats["jobs_completed"])) completed, \(cell(stats["jobs_failed"])) failed")
                print(facts.text)
                print()
                let components = score["components"] as? [String: [String: Any]] ?? [:]
                var terms = Table("TERM", "VALUE", "WEIGHT", "CONTRIBUTION")
                for name in ["success_rate", "latency", "availability", "reputation"] {
                    let c = components[name] ?? [:]
                    terms.add(name, cell(c["value"]), cell(c["weight"]), cell(c["contribution"]))
                }
                print(terms.text)
                print("score \(cell(score["score"])) = \(cell(score["max_score"])) × (sum of contributions)")
            }
        }
    }

    struct Cordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a miner out of matching; it stays registered and heartbeating.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The miner's address.") var address: String

        func run() async throws {
            try await runAdmin {
                let miner = try await admin.client.call(.POST, MinersCommand.path(address, "cordon"))
                if admin.json { return try printJSON(miner) }
                print(MinersCommand.summary(miner as? [String: Any] ?? [:]))
            }
        }
    }

    struct Uncordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a cordoned miner back into matching.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The miner's address.") var address: String

        func run() async throws {
            try await runAdmin {
                let miner = try await admin.client.call(.POST, MinersCommand.path(address, "uncordon"))
                if admin.json { return try printJSON(miner) }
                print(MinersCommand.summary(miner as? [String: Any] ?? [:]))
            }
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cordon a miner and wait until its reservations are gone (results reported, released or expired).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The miner's address.") var address: String
        @Option(help: "Give up (exit 1) after this many seconds; 0 does not wait.") var timeout = 900
        @Option(help: "Seconds between progress checks.") var every = 1.0

        func run() async throws {
            try await runAdmin {
                let started = ContinuousClock.now
                var last: Int?
                while true {
                    let progress = try await admin.client.call(.POST, MinersCommand.path(address, "drain")) as? [String: Any] ?? [:]
                    let left = progress["reservations"] as? Int ?? 0
                    if (progress["drained"] as? Bool) == true || timeout == 0 {
                        if admin.json { return try printJSON(progress) }
                        print(left == 0 ? "\(address): drained (cordoned, no reservations left)" : "\(address): cordoned, \(left) reservations left")
                        return
                    }
                    if left != last, !admin.json {
                        print("\(address): cordoned, waiting for \(left) reservation\(left == 1 ? "" : "s")")
                    }
                    last = left
                    if ContinuousClock.now - started >= .seconds(timeout) {
                        throw AdminClient.Failure(description: "\(address) still holds \(left) reservations after \(timeout) s (it stays cordoned)")
                    }
                    try await Task.sleep(for: .seconds(every))
                }
            }
        }
    }

    struct ResetToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-token", abstract: "Give a miner a new token (shown once); the old one stops working at once.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The miner's address.") var address: String

        func run() async throws {
            try await runAdmin {
                let answer = try await admin.client.call(.POST, MinersCommand.path(address, "reset-token"))
                if admin.json { return try printJSON(answer) }
                let object = answer as? [String: Any] ?? [:]
                print("new token for \(cell(object["address"])) (shown only now): \(cell(object["token"]))")
            }
        }
    }
}
