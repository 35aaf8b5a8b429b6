// AITBC wire requests translated into the hub's domain values.

import Foundation
import PoolHubCore

/// The AITBC pool hub's wire forms (`/v1/…`), translated to and from the hub's own domain values, so
/// its miners, CLI and SDK work unchanged against the same registry and matcher as `/api/v1`.
/// Sizes arrive in GiB (`gpu_vram_gb` is MiB / 1024) and become MiB; 0 means unknown.
enum AITBCWire {
    /// `POST /v1/miners/register`: the miner's own `api_key` becomes its token. Absent fields take the
    /// AITBC hub's defaults (`proto` http, `max_parallel` 1, `base_price` 0.01).
    static func registration(_ body: JSONValue) throws -> RegistrationRequest {
        var r = FieldReader(body)
        let minerID = r.string("miner_id", required: true, length: 1...128)
        let address = minerID.flatMap(MinerAddress.init)
        if minerID != nil, address == nil { r.fail("miner_id", "may only hold letters, digits and . _ : -") }
        let apiKey = r.string("api_key", required: true, length: 8...512)
        let addr = r.string("addr", required: true, length: 1...2048)
        if let addr, addr.contains(where: \.isWhitespace) { r.fail("addr", "must hold no spaces, as in http://10.0.0.5:8101") }
        let proto = r.string("proto", length: 1...32) ?? "http"
        let vram = r.number("gpu_vram_gb", range: 0...2048)
        let gpuName = r.string("gpu_name", length: 1...256)
        let cpuCores = r.int("cpu_cores", range: 0...100_000)
        let ram = r.number("ram_gb", range: 0...Double(MinerController.maxRAMMemory / 1024))
        let maxParallel = r.int("max_parallel", range: 1...1024) ?? 1
        let price = r.price("base_price") ?? Decimal(string: "0.01", locale: Locale(identifier: "en_US_POSIX"))
        let tags = r.stringMap("tags", maxEntries: 64, length: 1...256) ?? [:]
        let capabilities = r.strings("capabilities", count: 0...64, length: 1...128) ?? []
        let region = r.string("region", length: 1...64)
        let chainID = r.string("chain_id", length: 1...128)
        let wallet = r.string("wallet_address", length: 1...256)
        try r.validate()
        guard let address, let apiKey, let addr else { throw APIError.invalid(r.problems) }
        return RegistrationRequest(
            address: address, endpoint: addr,
            capabilities: MinerCapabilities(
                models: MinerController.unique(capabilities), gpuMemory: mebibytes(vram), maxConcurrentJobs: maxParallel,
                ramMemory: mebibytes(ram), cpuCores: cpuCores == 0 ? nil : cpuCores, gpuName: gpuName),
            stake: nil, region: region, tags: tags, proto: proto, price: price, chainID: chainID, walletAddress: wallet,
            chosenToken: apiKey)
    }

    /// `POST /v1/miners/heartbeat`, as a status update; nil fields keep what the miner said last.
    struct Heartbeat {
        var available: Bool?
        var currentJobs: Int?
        /// 0...1 (the wire sends a percentage).
        var gpuUtilization: Double?
    }

    /// Statuses in which an AITBC miner takes work; any other (`busy`, `maintenance`, `offline`, …) does not.
    static let workingStatuses: Set<String> = ["active", "idle", "online", "available"]

    static func heartbeat(_ body: JSONValue) throws -> Heartbeat {
        var r = FieldReader(body)
        let status = r.string("status", length: 1...64)
        let jobs = r.int("current_jobs", range: 0...1_000_000)
        let utilization = r.number("gpu_utilization", range: 0...100)
        // Checked so that a broken miner hears about it, but the hub keeps no memory or network figures.
        _ = r.number("memory_used", range: 0...1e12)
        _ = r.number("memory_total", range: 0...1e12)
        _ = r.number("network_latency_ms", range: -1...86_400_000)
        try r.validate()
        return Heartbeat(
            available: status.map { workingStatuses.contains($0.lowercased()) }, currentJobs: jobs,
            gpuUtilization: utilization.map { $0 / 100 })
    }

    /// `POST /v1/match`: a non-reserving match (AITBC coordinators never report results here, so a
    /// reservation would only block the miner until it expired). `capabilities_any` is any one of them;
    /// `hints.region` is a preference (`preferences.regions`): among near-equal scores, miners there first.
    static func match(_ body: JSONValue, tenantID: String) throws -> MatchRequest {
        var r = FieldReader(body)
        let jobID = r.string("job_id", required: true, length: 1...256)
        let requirements = r.nested("requirements") { q -> (vram: Int?, ram: Int?, models: [String]) in
            (
                requirement(q.number("min_vram_gb", range: 0...2048)), requirement(q.number("min_ram_gb", range: 0...65_536)),
                q.strings("capabilities_any", count: 0...64, length: 1...128) ?? []
            )
        }
        let region = r.nested("hints") { h in h.string("region", length: 1...64) }
        let topK = r.int("top_k", range: 1...50) ?? 1
        try r.validate()
        return MatchRequest(
            models: MinerController.unique(requirements?.models ?? []), minGPUMemory: requirements?.vram, minRAM: requirements?.ram,
            jobID: jobID, tenantID: tenantID, limit: topK, reserve: false, preferences: MatchPreferences(regions: region.map { [$0] } ?? []))
    }

    /// GiB → MiB; 0 (or nothing) is unknown.
    private static func mebibytes(_ gib: Double?) -> Int? {
        guard let gib, gib > 0 else { return nil }
        let mib = Int((gib * 1024).rounded())
        return mib > 0 ? mib : nil
    }

    /// A minimum in GiB → MiB, rounded up so that a requirement is never loosened; 0 asks for nothing.
    private static func requirement(_ gib: Double?) -> Int? {
        guard let gib, gib > 0 else { return nil }
        return Int((gib * 1024).rounded(.up))
    }
}
