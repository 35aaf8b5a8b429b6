// SLA and capacity routes.

import Foundation
import Hummingbird
import PoolHubCore

/// `/sla/…`: SLA samples and violations, a pass on demand, capacity snapshots, forecast and advice.
struct SLAController {
    let reports: SLAReports
    let monitor: SLAMonitor
    let planner: CapacityPlanner
    let access: Access

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("metrics", use: samples)
        routes.get("metrics/:miner_id", use: samples)
        routes.post("metrics/collect", use: collect)
        routes.get("violations", use: violations)
        routes.get("capacity/snapshots", use: snapshots)
        routes.get("capacity/forecast", use: forecast)
        routes.get("capacity/recommendations", use: recommendations)
        return routes
    }

    /// The fleet's samples, or one miner's (`/metrics/{miner_id}`).
    @Sendable func samples(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let hours = query.hours(default: 24)
        let metric = query.oneOf("metric_type", SLAMetric.self)
        let limit = query.limit()
        try query.validate()
        let found = try await reports.samples(of: context.parameters.get("miner_id"), metric: metric, hours: hours, limit: limit)
        return try JSONResponse.make(found.map(SLASampleView.init))
    }

    @Sendable func collect(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        return try JSONResponse.make(SLAPassView(try await monitor.collect()))
    }

    @Sendable func violations(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let miner = query.address("miner_id")
        let resolved = query.bool("resolved")
        let limit = query.limit()
        try query.validate()
        return try JSONResponse.make(try await reports.violations(of: miner, resolved: resolved, limit: limit).map(SLAViolationView.init))
    }

    @Sendable func snapshots(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let hours = query.hours(default: 24)
        let model = query.text("model")
        try query.validate()
        return try JSONResponse.make(try await reports.snapshots(model: model, hours: hours).map(CapacitySnapshotView.init))
    }

    @Sendable func forecast(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = QueryReader(request)
        let hours = query.hours(default: Double(planner.horizonHours))
        let model = query.text("model")
        try query.validate()
        return try JSONResponse.make(CapacityForecastView(try await planner.forecast(model: model, hours: Int(hours.rounded(.up)))))
    }

    @Sendable func recommendations(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        return try JSONResponse.make(try await planner.recommendations().map(ScalingAdviceView.init))
    }

    /// The AITBC CLI's summary (`GET /v1/sla/status`), open like `/health`.
    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        try JSONResponse.make(SLAStatusView(try await reports.status()))
    }
}

extension QueryReader {
    /// `hours` of history, in (0, 8760].
    fileprivate mutating func hours(default value: Double) -> Double {
        positive("hours", upTo: 8_760, default: value, problem: "must be a number of hours in (0, 8760]")
    }

    fileprivate mutating func limit() -> Int { int("limit", in: 1...10_000, default: 1_000) }
}
