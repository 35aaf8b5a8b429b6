// Health, status, metrics and the OpenAPI document.

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PoolHubCore

/// `/health` (also at `/v1/health`, where AITBC clients ask), `/api/v1/status`, `/metrics`, `/openapi.json`.
struct OperationsController {
    let overview: HubOverview

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("health", use: health)
        routes.get("v1/health", use: health)
        routes.get("api/v1/status", use: status)
        routes.get("metrics", use: metrics)
        routes.get("openapi.json", use: openAPI)
        return routes
    }

    /// 200 `ok` when every configured dependency answers; 503 `degraded` naming the one that does not.
    @Sendable func health(_ request: Request, context: HubRequestContext) async throws -> Response {
        let health = await overview.health()
        for (name, check) in health.checks where !check.ok {
            context.requestLogger.warning("\(name) health check failed", metadata: ["error": "\(check.error ?? "")"])
        }
        var response = try JSONResponse.make(HealthView(health), status: health.ok ? .ok : .serviceUnavailable)
        if !health.ok { response.headers[.retryAfter] = "5" }
        return response
    }

    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        try JSONResponse.make(StatusView(await overview.status(), version: Hub.version))
    }

    @Sendable func metrics(_ request: Request, context: HubRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: await overview.metrics())))
    }

    @Sendable func openAPI(_ request: Request, context: HubRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try OpenAPIDocument.json())))
    }
}
