// Match and reservation routes.

import Foundation
import Hummingbird
import PoolHubCore

/// `POST /api/v1/match` and `DELETE /api/v1/reservations/{id}`.
struct MatchController {
    let matchmaker: Matchmaker
    let access: Access
    let defaultTenant: String

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.post("match", use: match)
        routes.delete("reservations/:id", use: release)
        return routes
    }

    @Sendable func match(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var request = request
        var r = FieldReader(try await request.jsonBody())
        let jobType = r.string("job_type", required: true, length: 1...64)
        let model = r.string("model", required: true, length: 1...128)
        let requirements = r.nested("requirements", strict: true) { q -> (Int?, Double?)? in
            (q.int("min_gpu_memory", range: 1...2_097_152), q.number("max_latency", range: 1...86_400_000))
        }
        let jobID = r.string("job_id", length: 1...256)
        let tenantID = r.string("tenant_id", length: 1...128)
        let limit = r.int("limit", range: 1...50) ?? 3
        let reserve = r.bool("reserve") ?? true
        let excluded = r.strings("exclude", count: 0...1000, length: 1...128) ?? []
        var exclude = Set<MinerAddress>()
        for (i, raw) in excluded.enumerated() {
            if let address = MinerAddress(raw) { exclude.insert(address) } else { r.fail("exclude[\(i)]", "is not a miner address") }
        }
        try r.validate()
        guard let jobType, let model else { throw APIError.invalid(r.problems) }

        let result = try await matchmaker.match(
            MatchRequest(
                jobType: jobType, model: model, minGPUMemory: requirements?.0, maxLatency: requirements?.1, jobID: jobID,
                tenantID: tenantID ?? defaultTenant, limit: limit, reserve: reserve, exclude: exclude))
        return JSONResponse.make(bytes: MatchView.json(result, jobID: jobID))
    }

    @Sendable func release(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let raw = try context.parameters.require("id")
        guard let id = ReservationID(raw) else { throw HubError.reservationNotFound(raw) }
        try await matchmaker.release(id)
        return Response(status: .noContent)
    }
}
