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
        let requirements = r.nested("requirements", strict: true) { q -> Requirements? in
            Requirements(
                minGPUMemory: q.int("min_gpu_memory", range: 1...2_097_152), maxLatency: q.number("max_latency", range: 1...86_400_000),
                maxPrice: q.price("max_price"), regions: q.strings("regions", count: 1...64, length: 1...64))
        }
        let preferences = r.nested("preferences", strict: true) { p -> MatchPreferences? in
            let cheapest = p.bool("cheapest") ?? false
            let regions = p.strings("regions", count: 0...64, length: 1...64) ?? []
            var miners: [MinerAddress] = []
            for (i, raw) in (p.strings("miners", count: 0...64, length: 1...128) ?? []).enumerated() {
                if let address = MinerAddress(raw) { miners.append(address) } else { p.fail("miners[\(i)]", "is not a miner address") }
            }
            return MatchPreferences(cheapest: cheapest, regions: regions, miners: miners)
        }
        let jobID = r.string("job_id", length: 1...256)
        let tenantID = r.string("tenant_id", length: 1...128)
        let limit = r.int("limit", range: 1...50) ?? 3
        let reserve = r.bool("reserve") ?? true
        let count = r.int("count", range: 1...64) ?? 1
        // Every member of a gang holds its slot under the job's id: a result names (job_id, address).
        if count > 1, reserve, jobID == nil, r.problems.allSatisfy({ $0.field != "job_id" }) {
            r.fail("job_id", "is required for a gang (count above 1) that reserves")
        }
        let excluded = r.strings("exclude", count: 0...1000, length: 1...128) ?? []
        var exclude = Set<MinerAddress>()
        for (i, raw) in excluded.enumerated() {
            if let address = MinerAddress(raw) { exclude.insert(address) } else { r.fail("exclude[\(i)]", "is not a miner address") }
        }
        try r.validate()
        guard let jobType, let model else { throw APIError.invalid(r.problems) }

        let result = try await matchmaker.match(
            MatchRequest(
                jobType: jobType, model: model, minGPUMemory: requirements?.minGPUMemory, maxLatency: requirements?.maxLatency,
                maxPriceMicros: requirements?.maxPrice.map(Price.micros), regions: requirements?.regions, jobID: jobID,
                tenantID: tenantID ?? defaultTenant, limit: limit, reserve: reserve, exclude: exclude,
                preferences: preferences ?? MatchPreferences(), count: count))
        return JSONResponse.make(bytes: MatchView.json(result, jobID: jobID))
    }

    /// `requirements` of a match: each one excludes the miners that fail it.
    private struct Requirements {
        var minGPUMemory: Int?
        var maxLatency: Double?
        var maxPrice: Decimal?
        var regions: [String]?
    }

    @Sendable func release(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let raw = try context.parameters.require("id")
        guard let id = ReservationID(raw) else { throw HubError.reservationNotFound(raw) }
        try await matchmaker.release(id)
        return Response(status: .noContent)
    }
}
