// Miner routes: registration, heartbeats, reads, deregistration, scores, and the operator's cordon, drain, new token.

import Foundation
import Hummingbird
import PoolHubCore

/// `/api/v1/miners…`: registration, heartbeats, reads, deregistration and scores.
struct MinerController {
    let registry: MinerRegistry
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
        routes.post(":address/cordon", use: cordon)
        routes.post(":address/uncordon", use: uncordon)
        routes.post(":address/drain", use: drain)
        routes.post(":address/reset-token", use: resetToken)
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
        let price = r.price("price")
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
            return JSONResponse.make(bytes: MinerView(member, heartbeat: registry.heartbeat, at: now, token: token).json, status: .created)
        case .updated(let member, let token):
            return JSONResponse.make(bytes: MinerView(member, heartbeat: registry.heartbeat, at: now, token: token).json)
        }
    }

    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        let member = try await self.member(context, opensWithKey: nil, request)
        var r = FieldReader(try await request.jsonBody())
        let available = r.bool("available")
        let load = r.int("current_load", range: 0...1024)
        let utilization = r.number("gpu_utilization", range: 0...1)
        let temperature = r.number("temperature", range: -50...150)
        try r.validate()
        let status = try await registry.recordStatus(
            of: member, available: available, currentLoad: load, gpuUtilization: utilization, temperature: temperature)
        return JSONResponse.make(bytes: HeartbeatAckView.json(member.miner.address, status: status, heartbeat: registry.heartbeat))
    }

    @Sendable func show(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context, opensWithKey: .coordinator, request)
        return JSONResponse.make(bytes: MinerView(member, heartbeat: registry.heartbeat, at: clock.now()).json)
    }

    @Sendable func score(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context, opensWithKey: .coordinator, request)
        return try JSONResponse.make(ScoreView(member, at: clock.now()))
    }

    @Sendable func deregister(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(context, opensWithKey: .admin, request)
        try await registry.deregister(member)
        return Response(status: .noContent)
    }

    /// Operator actions: an admin key, never the miner's own token (a miner cannot uncordon itself).
    @Sendable func cordon(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        let member = try await registry.cordon(try await self.operatorTarget(context))
        return JSONResponse.make(bytes: MinerView(member, heartbeat: registry.heartbeat, at: clock.now()).json)
    }

    @Sendable func uncordon(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        let member = try await registry.uncordon(try await self.operatorTarget(context))
        return JSONResponse.make(bytes: MinerView(member, heartbeat: registry.heartbeat, at: clock.now()).json)
    }

    @Sendable func drain(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        return try JSONResponse.make(DrainView(try await registry.drain(try await self.operatorTarget(context))))
    }

    @Sendable func resetToken(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        let reset = try await registry.resetToken(try await self.operatorTarget(context))
        return try JSONResponse.make(NewTokenView(address: reset.member.miner.address.value, token: reset.token))
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let limit = query.int("limit", in: 1...500, default: 100)
        let filter = MinerFilter(
            model: query.raw("model"), region: query.raw("region"), online: query.bool("online"), cordoned: query.bool("cordoned"),
            after: query.raw("cursor"))
        try query.validate()
        let page = registry.list(filter, limit: limit)
        return JSONResponse.make(bytes: MinerPageView.json(page.miners, more: page.more, heartbeat: registry.heartbeat, at: clock.now()))
    }

    /// The miner of the path, once the caller has shown a credential that may open it: credentials are
    /// checked before existence, so a caller without one learns nothing of which miners are registered.
    /// A miner token, when one is sent, must be this address's (a token for an unknown address, or another
    /// miner's, is a 401 whatever else is sent: a credential presented is a credential checked); without
    /// one, an API key of `role` (nil: none will do) may look up any address.
    private func member(_ context: HubRequestContext, opensWithKey role: Role?, _ request: Request) async throws -> FleetMember {
        let raw = try context.parameters.require("address")
        if let token = Access.bearerToken(request) {
            guard let address = MinerAddress(raw), let member = try? await registry.member(address),
                MinerTokens.verify(token, against: member.credential)
            else { throw APIError.unauthorized("The miner token is not valid for \(raw).") }
            return member
        }
        let keyRole = try access.role(of: request)
        guard let role else {
            // Only the miner's token opens this route: 403 for a real API key, 401 for nothing.
            if keyRole != nil, !access.keys.isOpen { throw APIError.forbidden("Only the miner itself, with its token, may do this.") }
            throw APIError.unauthorized("This route needs the miner's token as Authorization: Bearer <token>.")
        }
        try access.require(role, request)
        guard let address = MinerAddress(raw) else { throw HubError.minerNotFound(raw) }
        return try await registry.member(address)
    }

    /// The miner of an operator action's path, asked for once the admin key has been checked.
    private func operatorTarget(_ context: HubRequestContext) async throws -> FleetMember {
        let raw = try context.parameters.require("address")
        guard let address = MinerAddress(raw) else { throw HubError.minerNotFound(raw) }
        return try await registry.member(address)
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
