// Job result route.

import Foundation
import Hummingbird
import PoolHubCore

/// `POST /api/v1/jobs/{job_id}/result`.
struct JobController {
    let recorder: ResultRecorder
    let access: Access
    let clock: any HubClock

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.post("jobs/:job_id/result", use: result)
        return routes
    }

    @Sendable func result(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let jobID = try context.parameters.require("job_id")
        var request = request
        var r = FieldReader(try await request.jsonBody())
        if !(1...256).contains(jobID.count) { r.fail("job_id", "must be 1..256 characters") }
        let rawAddress = r.string("address", required: true, length: 1...128)
        let address = rawAddress.flatMap(MinerAddress.init)
        if rawAddress != nil, address == nil { r.fail("address", "is not a miner address") }
        let rawStatus = r.string("status", required: true, length: 1...32)
        let outcome = rawStatus.flatMap(JobOutcome.init(rawValue:))
        if rawStatus != nil, outcome == nil { r.fail("status", "must be one of completed, failed, timeout, rejected") }
        let responseTime = r.number("response_time_ms", range: 0...86_400_000)
        let gpuSeconds = r.number("gpu_seconds", range: 0...31_536_000)
        let error = r.string("error", length: 0...2048)
        // Optional: whose job it was, for billing (else the tenant it was matched for).
        let tenantID = r.string("tenant_id", length: 1...128)
        try r.validate()
        guard let address, let outcome else { throw APIError.invalid(r.problems) }

        let result = JobResult(
            jobID: jobID, address: address, outcome: outcome, responseTimeMs: responseTime, gpuSeconds: gpuSeconds,
            error: error, reportedAt: clock.now())
        let counted = try await recorder.record(result, tenantID: tenantID)
        return try JSONResponse.make(JobResultAckView(result, counted: counted))
    }
}
