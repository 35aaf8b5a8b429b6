// `poolhub billing usage`: recorded usage per resource and the outbox.

import ArgumentParser
import Foundation
import NIOHTTP1

struct BillingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "billing", abstract: "Billing reports.", subcommands: [Usage.self])

    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Usage per resource type and the outbox (pending, acknowledged, rejected).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Only this tenant's.") var tenant: String?
        @Option(help: "Only this miner's.") var miner: String?

        func run() async throws {
            try await runAdmin {
                var query: [String] = []
                if let tenant { query.append("tenant_id=\(tenant)") }
                if let miner { query.append("miner_id=\(miner)") }
                let answer = try await admin.client.call(.GET, "/sla/billing/usage" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
                if admin.json { return try printJSON(answer) }
                let object = answer as? [String: Any] ?? [:]
                var table = Table("RESOURCE", "QUANTITY", "UNIT", "AMOUNT", "RECORDS")
                for (resource, total) in (object["totals"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    table.add(resource, cell(total["quantity"]), cell(total["unit"]), cell(total["amount"]), cell(total["records"]))
                }
                print(table.text)
                print("total \(cell(object["total_amount"])) \(cell(object["currency"]))")
                let outbox = (object["outbox"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                print("outbox: " + outbox.joined(separator: ", "))
            }
        }
    }
}
