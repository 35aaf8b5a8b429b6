// `poolhub match`: a reserve-free match that shows the ranking and why the rest were left out.

import ArgumentParser
import Foundation
import NIOHTTP1

struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match", abstract: "Ask which miners would run a job, without reserving: the ranked miners and why the others were rejected.")

    @OptionGroup var admin: AdminOptions
    @Option(help: "The model the job needs.") var model: String
    @Option(help: "The job type.") var jobType = "inference"
    @Option(help: "Minimum GPU memory, MiB.") var minGpuMemory: Int?
    @Option(help: "Maximum estimated time, ms.") var maxLatency: Int?
    @Option(help: "How many miners to rank (1-50).") var limit = 10
    @Option(help: "A miner to leave out (repeatable).") var exclude: [String] = []
    @Option(help: "Price ceiling, USD per GPU hour (a decimal such as 0.50).") var maxPrice: String?
    @Option(help: "Only miners in this region (repeatable).") var region: [String] = []
    @Flag(help: "Rank by price first, then score.") var cheapest = false
    @Option(help: "Prefer miners in this region among near-equal scores (repeatable).") var preferRegion: [String] = []
    @Option(help: "Put this miner first when it qualifies (repeatable, in order).") var preferMiner: [String] = []

    func run() async throws {
        try await runAdmin {
            var requirements: [String: Any] = [:]
            if let minGpuMemory { requirements["min_gpu_memory"] = minGpuMemory }
            if let maxLatency { requirements["max_latency"] = maxLatency }
            if let maxPrice { requirements["max_price"] = maxPrice }
            if !region.isEmpty { requirements["regions"] = region }
            var preferences: [String: Any] = [:]
            if cheapest { preferences["cheapest"] = true }
            if !preferRegion.isEmpty { preferences["regions"] = preferRegion }
            if !preferMiner.isEmpty { preferences["miners"] = preferMiner }
            var body: [String: Any] = ["job_type": jobType, "model": model, "limit": limit, "reserve": false]
            if !requirements.isEmpty { body["requirements"] = requirements }
            if !preferences.isEmpty { body["preferences"] = preferences }
            if !exclude.isEmpty { body["exclude"] = exclude }
            let answer = try await admin.client.call(.POST, "/api/v1/match", json: body)
            if admin.json { return try printJSON(answer) }
            let object = answer as? [String: Any] ?? [:]
            let miners = object["miners"] as? [[String: Any]] ?? []
            if miners.isEmpty {
                print("no miner fits")
            } else {
                var table = Table("RANK", "ADDRESS", "SCORE", "EST. TIME MS", "PRICE", "ENDPOINT")
                for (i, m) in miners.enumerated() {
                    table.add(
                        String(i + 1), cell(m["address"]), cell(m["score"]), cell(m["estimated_time"]), cell(m["price"]), cell(m["endpoint"]))
                }
                print(table.text)
            }
            let rejected = (object["rejected"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
            if !rejected.isEmpty {
                print()
                var table = Table("REJECTED BECAUSE", "MINERS")
                for (reason, count) in rejected { table.add(reason, cell(count)) }
                print(table.text)
            }
        }
    }
}
