// `poolhub status`: the running hub's status at a glance.

import ArgumentParser
import Foundation
import NIOHTTP1

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a running hub's status: fleet, capacity, matches, SLA and billing.")

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try await runAdmin {
            let status = try await admin.client.call(.GET, "/api/v1/status")
            if admin.json { return try printJSON(status) }
            let s = status as? [String: Any] ?? [:]
            let storage = s["storage"] as? [String: Any] ?? [:]
            let miners = s["miners"] as? [String: Any] ?? [:]
            let capacity = s["capacity"] as? [String: Any] ?? [:]
            let billing = s["billing"] as? [String: Any] ?? [:]
            var table = Table("", "")
            table.header = ["hub", "\(admin.client.base) (version \(cell(s["version"])), up \(cell(s["uptime_s"])) s)"]
            table.add("storage", "\(cell(storage["database"])), hot state \(cell(storage["hot_state"])), scheduler \(cell(storage["scheduler"]))")
            table.add("miners", "\(cell(miners["online"])) online of \(cell(miners["total"])), \(cell(miners["available"])) available")
            table.add(
                "slots",
                "\(cell(capacity["used_slots"])) used of \(cell(capacity["total_slots"])), \(cell(capacity["active_reservations"])) reservations")
            table.add("matches", "\(cell(s["matches_served"])) served")
            table.add("last SLA pass", cell(s["last_sla_pass"]))
            table.add("billing", "sync \(cell(billing["sync"])), \(cell(billing["pending"])) pending, last sync \(cell(billing["last_sync_at"]))")
            print(table.text)
        }
    }
}
