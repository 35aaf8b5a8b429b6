// `poolhub sla violations`: the open (or all) SLA violations.

import ArgumentParser
import Foundation
import NIOHTTP1

struct SLACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sla", abstract: "SLA reports.", subcommands: [Violations.self])

    struct Violations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List SLA violations, open ones by default.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Only this miner's.") var miner: String?
        @Flag(help: "Resolved violations instead of open ones.") var resolved = false

        func run() async throws {
            try await runAdmin {
                var path = "/sla/violations?resolved=\(resolved)"
                if let miner { path += "&miner_id=\(miner)" }
                let answer = try await admin.client.call(.GET, path)
                if admin.json { return try printJSON(answer) }
                let rows = answer as? [[String: Any]] ?? []
                var table = Table("MINER", "TYPE", "SEVERITY", "VALUE", "THRESHOLD", "STARTED", "RESOLVED")
                for v in rows {
                    table.add(
                        cell(v["miner_id"]), cell(v["violation_type"]), cell(v["severity"]), cell(v["value"]), cell(v["threshold"]),
                        cell(v["started_at"]), cell(v["resolved_at"]))
                }
                print(table.text)
                print("\(rows.count) \(resolved ? "resolved" : "open") violation\(rows.count == 1 ? "" : "s")")
            }
        }
    }
}
