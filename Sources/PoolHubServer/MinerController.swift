import Foundation
import Hummingbird
import PoolHubCore
import PoolHubLive

/// `/api/v1/miners…`: registration, heartbeats, reads, deregistration and scores.
struct MinerController {
    let registry: MinerRegistry
    let live: any LiveState
    let access: Access
    let clock: any HubClock

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.post("register", use: register)
        routes.get(use: list)
        routes.get(":address", use: show)
        routes.delete(":address", use: deregister)
        routes.post(":address/status", use: status)
        routes.get(":address/score", use: score)
        return routes
    }

    @Sendable func register(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        var r = FieldReader(try await request.jsonBody())
        let address = r.string("address", required: true, length: 1...128)
        let parsedAddress = address.flatMap(MinerAddress.init)
        if address != nil, parsedAddress == nil { r.fail("address", "may only hold letters, digits and . _ : -") }
        let endpoint = r.string("endpoint", required: true, length: 1...2048)
        if let endpoint, !Self.isHTTPURL(endpoint) { r.fail("endpoint", "must be an absolute http(s) URL") }
        let capabilities = r.nested("capabilities", required: true) { c -> MinerCapabilities? in
            let models = c.strings("models", required: true, count: 1...64, length: 1...128)
            let gpuMemory = c.int("gpu_memory", range: 1...2_097_152)
            let maxJobs = c.int("max_concurrent_jobs", required: true, range: 1...1024)
            let ramMemory = c.int("ram_memory", range: 1...Self.maxRAMMemory)
            let cpuCores = c.int("cpu_cores", range: 1...100_000)
            let gpuName = c.string("gpu_name", length: 1...256)
            guard let models, let maxJobs else { return nil }
            return MinerCapabilities(
                models: Self.unique(models), gpuMemory: gpuMemory, maxConcurrentJobs: maxJobs, ramMemory: ramMemory, cpuCores: cpuCores,
                gpuName: gpuName)
        }
        let stake = r.int("stake", range: 0...1_000_000_000_000_000) ?? 0
        let region = r.string("region", length: 1...64)
        let tags = r.stringMap("tags", maxEntries: 64, length: 1...256) ?? [:]
        let proto = r.string("proto", length: 1...32)
        let price = r.decimal("price")
        let chainID = r.string("chain_id", length: 1...128)
        let wallet = r.string("wallet_address", length: 1...256)
        let rotate = r.bool("rotate_token") ?? false
        try r.validate()
        guard let parsedAddress, let endpoint, let capabilities else { throw APIError.invalid(r.problems) }

        let outcome = try await registry.register(
            RegistrationRequest(
                address: parsedAddress, endpoint: endpoint, capabilities: capabilities, stake: stake, region: region,
                tags: tags, proto: proto, price: price, chainID: chainID, walletAddress: wallet, rotateToken: rotate),
            presentedToken: Access.bearerToken(request))
        let now = clock.now()
        switch outcome {
        case .created(let member, let token):
            return try JSONResponse.make(MinerView(member, heartbeat: registry.heartbeat, at: now, token: token), status: .created)
        case .updated(let member, let token):
            return try JSONResponse.make(MinerView(member, heartbeat: registry.heartbeat, at: now, token: token))
        }
    }

    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        let member = try await self.member(context)
        try access.requireMiner(member, request)
        var r = FieldReader(try await request.jsonBody())
        let available = r.bool("available")
        let load = r.int("current_load", range: 0...1024)
        let utilization = r.number("gpu_utilization", range: 0...1)
        let temperature = r.number("temperature", range: -50...150)
        try r.validate()
        let status = try await registry.recordStatus(
            of: member, available: available, currentLoad: load, gpuUtilization: utilization, temperature: temperature)
        struct Ack: Encodable {
            var address: String
            var online: Bool
            var nextHeartbeatS: Int
            var expiresAt: Date
        }
        return try JSONResponse.make(
            Ack(
                address: member.miner.address.value, online: true, nextHeartbeatS: registry.heartbeat.suggestedInterval,
                expiresAt: registry.heartbeat.expiry(of: status.lastHeartbeatAt)))
    }

    @Sendable func show(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context)
        try requireReader(of: member, request)
        return try JSONResponse.make(MinerView(member, heartbeat: registry.heartbeat, at: clock.now()))
    }

    @Sendable func score(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context)
        try requireReader(of: member, request)
        return try JSONResponse.make(ScoreView(member))
    }

    @Sendable func deregister(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context)
        if !Access.isMiner(member, request) { try access.require(.admin, request) }
        guard member.isListed else { throw APIError.notFound("Miner \(member.miner.address)") }
        try await registry.deregister(member)
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let query = request.uri.queryParameters
        var problems: [FieldProblem] = []
        let limit = query.get("limit").map { Int($0) ?? -1 } ?? 100
        if !(1...500).contains(limit) { problems.append(FieldProblem(field: "limit", problem: "must be a whole number in 1..500")) }
        var online: Bool?
        if let raw = query.get("online") {
            online = ["true": true, "false": false][raw]
            if online == nil { problems.append(FieldProblem(field: "online", problem: "must be true or false")) }
        }
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        let model = query.get("model")
        let region = query.get("region")
        let cursor = query.get("cursor") ?? ""
        let now = clock.now()
        let heartbeat = registry.heartbeat
        let page = live.members { m in
            m.miner.address.value > cursor && (model.map { m.miner.capabilities.models.contains($0) } ?? true)
                && (region.map { m.miner.region == $0 } ?? true)
                && (online.map {
                    heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now) == $0
                } ?? true)
        }.sorted { $0.miner.address < $1.miner.address }
        struct Page: Encodable {
            var miners: [MinerView]
            var nextCursor: String?
        }
        let shown = page.prefix(limit)
        return try JSONResponse.make(
            Page(
                miners: shown.map { MinerView($0, heartbeat: heartbeat, at: now) },
                nextCursor: page.count > limit ? shown.last?.miner.address.value : nil))
    }

    private func member(_ context: HubRequestContext) async throws -> FleetMember {
        let raw = try context.parameters.require("address")
        guard let address = MinerAddress(raw) else { throw APIError.notFound("Miner \(raw)") }
        return try await registry.member(address)
    }

    /// Reads are for API keys, and for the miner itself with its token.
    private func requireReader(of member: FleetMember, _ request: Request) throws {
        if Access.isMiner(member, request) { return }
        try access.require(.coordinator, request)
    }

    /// 64 TiB, in MiB.
    static let maxRAMMemory = 67_108_864

    /// The names in their first order, each once.
    static func unique(_ names: [String]) -> [String] {
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        return unique
    }

    private static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
