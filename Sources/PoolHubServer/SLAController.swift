import Foundation
import Hummingbird
import PoolHubCore
import PoolHubLive
import PoolHubStore

/// `/sla/…`: SLA samples and violations, a pass on demand, capacity snapshots, forecast and advice.
struct SLAController {
    let monitor: SLAMonitor
    let planner: CapacityPlanner
    let store: any HubStore
    let live: any LiveState
    let access: Access
    let clock: any HubClock

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("metrics", use: samples)
        routes.get("metrics/:miner_id", use: minerSamples)
        routes.post("metrics/collect", use: collect)
        routes.get("violations", use: violations)
        routes.get("capacity/snapshots", use: snapshots)
        routes.get("capacity/forecast", use: forecast)
        routes.get("capacity/recommendations", use: recommendations)
        return routes
    }

    @Sendable func samples(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        return try await samples(request, of: nil)
    }

    @Sendable func minerSamples(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let raw = try context.parameters.require("miner_id")
        guard let address = MinerAddress(raw), await live.lookup(address) != nil else { throw APIError.notFound("Miner \(raw)") }
        return try await samples(request, of: address)
    }

    private func samples(_ request: Request, of miner: MinerAddress?) async throws -> Response {
        var query = SLAQuery(request)
        let hours = query.hours(default: 24)
        let metric = query.metric()
        let limit = query.limit()
        try query.validate()
        let found = try await store.slaSamples(minerID: miner, metric: metric, since: since(hours), limit: limit)
        return try JSONResponse.make(found.map(SLASampleView.init))
    }

    @Sendable func collect(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        return try JSONResponse.make(SLAPassView(try await monitor.collect()))
    }

    @Sendable func violations(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = SLAQuery(request)
        let miner = query.miner()
        let resolved = query.resolved()
        let limit = query.limit()
        try query.validate()
        let found = try await store.slaViolations(minerID: miner, resolved: resolved, limit: limit)
        return try JSONResponse.make(found.map(SLAViolationView.init))
    }

    @Sendable func snapshots(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = SLAQuery(request)
        let hours = query.hours(default: 24)
        let model = query.model()
        try query.validate()
        let found = try await store.capacitySnapshots(model: model, since: since(hours))
        return try JSONResponse.make(found.map(CapacitySnapshotView.init))
    }

    @Sendable func forecast(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        var query = SLAQuery(request)
        let hours = query.hours(default: Double(planner.horizonHours))
        let model = query.model()
        try query.validate()
        return try JSONResponse.make(CapacityForecastView(try await planner.forecast(model: model, hours: Int(hours.rounded(.up)))))
    }

    @Sendable func recommendations(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        return try JSONResponse.make(try await planner.recommendations().map(ScalingAdviceView.init))
    }

    /// The AITBC CLI's summary (`GET /v1/sla/status`), open like `/health`: `critical` while any open
    /// violation is critical, `degraded` while any is open, else `healthy`; samples of the last hour.
    @Sendable func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        struct Status: Encodable {
            var status: String
            var activeViolations: Int
            var recentMetricsCount: Int
            var timestamp: Date
        }
        let now = clock.now()
        let open = try await store.slaViolations(minerID: nil, resolved: false, limit: 1_000_000)
        let state = open.contains { $0.severity == .critical } ? "critical" : open.isEmpty ? "healthy" : "degraded"
        return try JSONResponse.make(
            Status(
                status: state, activeViolations: open.count,
                recentMetricsCount: try await store.slaSampleCount(since: now.addingTimeInterval(-3_600)), timestamp: now))
    }

    private func since(_ hours: Double) -> Date { clock.now().addingTimeInterval(-hours * 3_600) }
}

/// The query parameters of the SLA routes, read so that every bad one is reported at once.
private struct SLAQuery {
    let request: Request
    var problems: [FieldProblem] = []

    init(_ request: Request) { self.request = request }

    private func parameter(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    mutating func hours(default value: Double) -> Double {
        guard let raw = parameter("hours") else { return value }
        guard let hours = Double(raw), hours > 0, hours <= 8_760 else {
            problems.append(FieldProblem(field: "hours", problem: "must be a number of hours in (0, 8760]"))
            return value
        }
        return hours
    }

    mutating func metric() -> SLAMetric? {
        guard let raw = parameter("metric_type") else { return nil }
        guard let metric = SLAMetric(rawValue: raw) else {
            let names = SLAMetric.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(FieldProblem(field: "metric_type", problem: "must be one of \(names)"))
            return nil
        }
        return metric
    }

    mutating func miner() -> MinerAddress? {
        guard let raw = parameter("miner_id") else { return nil }
        guard let address = MinerAddress(raw) else {
            problems.append(FieldProblem(field: "miner_id", problem: "must be 1..128 characters of [A-Za-z0-9._:-]"))
            return nil
        }
        return address
    }

    mutating func resolved() -> Bool? {
        guard let raw = parameter("resolved") else { return nil }
        guard let resolved = ["true": true, "false": false][raw] else {
            problems.append(FieldProblem(field: "resolved", problem: "must be true or false"))
            return nil
        }
        return resolved
    }

    mutating func model() -> String? {
        guard let raw = parameter("model") else { return nil }
        guard (1...128).contains(raw.count) else {
            problems.append(FieldProblem(field: "model", problem: "must be 1..128 characters"))
            return nil
        }
        return raw
    }

    mutating func limit() -> Int {
        guard let raw = parameter("limit") else { return 1_000 }
        guard let limit = Int(raw), (1...10_000).contains(limit) else {
            problems.append(FieldProblem(field: "limit", problem: "must be a whole number in 1..10000"))
            return 1_000
        }
        return limit
    }

    func validate() throws {
        guard problems.isEmpty else { throw APIError.invalid(problems) }
    }
}
