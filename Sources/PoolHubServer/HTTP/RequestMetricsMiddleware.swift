// Counting requests by route and status.

import Hummingbird

/// Counts requests by method, route template and status (`poolhub_api_requests_total`).
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        metrics.recordRequest(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(response.status.code))
        return response
    }
}
