// The AITBC network's /v1 routes.

import Foundation
import Hummingbird
import PoolHubCore

/// `/v1/…`: the AITBC pool hub's routes for its existing miners, CLI and SDK. Thin: each translates
/// the wire form (`AITBCWire`) and calls the same registry and matchmaker as `/api/v1`.
/// (`/v1/health` is served with `/health`.)
struct AITBCController {
    let registry: MinerRegistry
    let matchmaker: Matchmaker
    let access: Access
    let clock: any HubClock
    let defaultTenant: String

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.post("miners/register", use: register)
        routes.post("miners/heartbeat", use: heartbeat)
        routes.get("miners/status", use: status)
        routes.post("match", use: match)
        return routes
    }

    /// 200 with `created` true only for a new miner; another key for a known `miner_id` is 409.
    @Sendable func register(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        let registration = try AITBCWire.registration(try await request.jsonBody())
        let outcome = try await registry.register(registration, presentedToken: nil)
        let created: Bool
        switch outcome {
        case .created: created = true
        case .updated: created = false
        }
        return try JSONResponse.make(AITBCAcknowledgementView(minerID: registration.address.value, created: created))
    }

    /// The miner is named by its token alone.
    @Sendable func heartbeat(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        let member = try await self.member(request)
        let beat = try AITBCWire.heartbeat(try await request.jsonBody())
        let slots = member.miner.capabilities.maxConcurrentJobs
        // A miner may run more jobs than it offers the pool; for matching it is simply full.
        _ = try await registry.recordStatus(
            of: member, available: beat.available, currentLoad: beat.currentJobs.map { min($0, slots) },
            gpuUtilization: beat.gpuUtilization, temperature: nil)
        return try JSONResponse.make(AITBCAcknowledgementView(minerID: member.miner.address.value))
    }

    /// The miner object of `/api/v1`, plus `miner_id`.
    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        let member = try await self.member(request)
        return JSONResponse.make(
            bytes: AITBCMinerStatusView.json(
                minerID: member.miner.address.value, view: MinerView(member, heartbeat: registry.heartbeat, at: clock.now())))
    }

    @Sendable func match(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var request = request
        let match = try AITBCWire.match(try await request.jsonBody(), tenantID: defaultTenant)
        let miners = try await matchmaker.matchMembers(match)
        let now = clock.now()
        return try JSONResponse.make(AITBCMatchAnswerView(jobID: match.jobID ?? "", candidates: miners.map { AITBCCandidateView($0, at: now) }))
    }

    private func member(_ request: Request) async throws -> FleetMember {
        guard let token = Access.bearerToken(request) else {
            throw APIError.unauthorized("This route needs the miner's api_key as Authorization: Bearer <api_key>.")
        }
        return try await registry.member(presenting: token)
    }
}
