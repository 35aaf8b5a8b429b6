// The dashboard page and the history it plots.

import Foundation
import Hummingbird

/// `GET /dashboard` (the page, every asset inside it; it holds no data, so it needs no key) and
/// `GET /api/v1/history?minutes=` (the sampled series, coordinator key).
struct DashboardController {
    let history: FleetHistory
    let access: Access

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("dashboard", use: page)
        routes.get("api/v1/history", use: series)
        return routes
    }

    @Sendable func page(_ request: Request, context: HubRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                // Nothing from elsewhere: the page works offline, and injected markup could not phone out.
                .contentSecurityPolicy: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
    }

    @Sendable func series(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let minutes = query.int("minutes", in: 1...1_440, default: 180)
        try query.validate()
        return try JSONResponse.make(
            HistoryView(
                history.samples(lastMinutes: minutes), models: history.models(), intervalS: history.sampleInterval,
                capacity: history.sampler.ring.capacity, thresholdPct: history.capacityAlertThresholdPct))
    }
}
