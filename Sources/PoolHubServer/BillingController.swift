import Foundation
import Hummingbird
import Logging
import PoolHubCore
import PoolHubStore

/// `GET /sla/billing/usage`, `POST /sla/billing/sync`, `POST /sla/billing/invoices`.
struct BillingController {
    let sync: BillingSync
    let access: Access

    var endpoints: RouteCollection<HubRequestContext> {
        let routes = RouteCollection(context: HubRequestContext.self)
        routes.get("usage", use: usage)
        routes.post("sync", use: syncNow)
        routes.post("invoices", use: invoice)
        return routes
    }

    /// Totals per resource type, the outbox state counts and the rejected records, for a tenant, a miner and `[from, to)`.
    @Sendable func usage(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.coordinator, request)
        let query = request.uri.queryParameters
        var problems: [FieldProblem] = []
        func text(_ name: String) -> String? {
            guard let value = query.get(name) else { return nil }
            guard (1...128).contains(value.count) else {
                problems.append(FieldProblem(field: name, problem: "must be 1..128 characters"))
                return nil
            }
            return value
        }
        func time(_ name: String) -> Date? {
            guard let value = query.get(name) else { return nil }
            guard let date = RFC3339.date(value) else {
                problems.append(FieldProblem(field: name, problem: "must be an RFC 3339 time such as 2026-05-01T00:00:00Z"))
                return nil
            }
            return date
        }
        let filter = UsageFilter(
            tenantID: text("tenant_id"), minerID: text("miner_id").map { MinerAddress($0)?.value ?? $0 }, from: time("from"),
            to: time("to"))
        if let from = filter.from, let to = filter.to, from >= to { problems.append(FieldProblem(field: "to", problem: "must be after from")) }
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        let summary = try await sync.store.usageSummary(filter, rejectedLimit: 100)
        return try JSONResponse.make(UsageView(summary, filter: filter, settings: sync.settings, lastSyncAt: sync.lastSyncAt))
    }

    /// Sends everything pending now, backoff or not.
    @Sendable func syncNow(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        guard sync.coordinator != nil, let report = try await sync.run(.manual) else { throw Self.syncOff }
        struct View: Encodable {
            var sent: Int
            var alreadyAcknowledged: Int
            var rejected: Int
            var failed: Int
            var pending: Int
        }
        return try JSONResponse.make(
            View(
                sent: report.sent, alreadyAcknowledged: report.alreadyAcknowledged, rejected: report.rejected, failed: report.failed,
                pending: report.pending))
    }

    /// Asks the coordinator for an invoice and returns its answer.
    @Sendable func invoice(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        var request = request
        var r = FieldReader(try await request.jsonBody())
        let tenantID = r.string("tenant_id", required: true, length: 1...128)
        func time(_ name: String) -> Date? {
            guard let raw = r.string(name, required: true, length: 1...64) else { return nil }
            guard let date = RFC3339.date(raw) else {
                r.fail(name, "must be an RFC 3339 time such as 2026-05-01T00:00:00Z")
                return nil
            }
            return date
        }
        let start = time("period_start")
        let end = time("period_end")
        if let start, let end, start >= end { r.fail("period_end", "must be after period_start") }
        try r.validate()
        guard let tenantID, let start, let end else { throw APIError.invalid(r.problems) }
        guard let coordinator = sync.coordinator else { throw Self.syncOff }

        switch await coordinator.requestInvoice(tenantID: tenantID, periodStart: start, periodEnd: end) {
        case .unreachable(let reason):
            context.logger.warning("invoice request failed: the coordinator did not answer", metadata: ["error": "\(reason)"])
            throw APIError(
                .serviceUnavailable, "coordinator_unavailable", "The coordinator's billing API did not answer; try again later.",
                retryAfter: 30)
        case .status(let status, let body) where (200..<300).contains(status) && JSONValue.parse(body) != nil:
            return Response(
                status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .status(let status, let body):
            context.logger.warning("invoice request failed: the coordinator answered badly", metadata: ["status": "\(status)"])
            throw APIError(
                .badGateway, "coordinator_error",
                "The coordinator answered the invoice request with HTTP \(status): \(CoordinatorClient.excerpt(body))")
        }
    }

    static let syncOff = APIError(
        .serviceUnavailable, "billing_sync_off",
        "Billing sync is off: COORDINATOR_BILLING_URL is not set. Usage is still recorded (GET /sla/billing/usage).",
        retryAfter: 3_600)
}

/// The answer of `GET /sla/billing/usage`.
struct UsageView: Encodable {
    struct Total: Encodable {
        var quantity: String
        var unit: String
        var amount: String
        var records: Int
        /// api_calls only: counted in windows not yet turned into records (included in quantity and amount).
        var unrecordedCalls: Int64?
    }
    struct Rejected: Encodable {
        var eventId: String
        var tenantId: String
        var minerId: String?
        var jobId: String?
        var resourceType: String
        var quantity: String
        var totalAmount: String
        var timestamp: Date
        var status: Int?
        var error: String?
        var rejectedAt: Date?
    }
    struct Sync: Encodable {
        var enabled: Bool
        var lastSyncAt: Date?
    }

    var tenantId: String?
    var minerId: String?
    var from: Date?
    var to: Date?
    var currency = UsageRecord.currency
    var totals: [String: Total] = [:]
    var totalAmount: String
    var outbox: [String: Int]
    var rejected: [Rejected]
    var sync: Sync

    init(_ summary: UsageSummary, filter: UsageFilter, settings: BillingSettings, lastSyncAt: Date?) {
        tenantId = filter.tenantID
        minerId = filter.minerID
        from = filter.from
        to = filter.to
        let pricing = UsagePricing(prices: settings.prices)
        var sum = Micros.zero
        for resource in UsageResource.allCases {
            var total = summary.totals[resource] ?? .init()
            var unrecorded: Int64?
            if resource == .apiCalls {
                unrecorded = summary.unrecordedAPICalls
                let open = Micros(units: summary.unrecordedAPICalls)
                total.quantity += open
                total.amount += pricing.amount(open, settings.prices.apiCalls)
            }
            sum += total.amount
            totals[resource.rawValue] = Total(
                quantity: total.quantity.formatted(), unit: resource.unit, amount: total.amount.formatted(minimumFractionDigits: 2),
                records: total.records, unrecordedCalls: unrecorded)
        }
        totalAmount = sum.formatted(minimumFractionDigits: 2)
        outbox = Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0.rawValue, summary.outbox[$0] ?? 0) })
        rejected = summary.rejected.map { e in
            Rejected(
                eventId: e.record.eventID, tenantId: e.record.tenantID, minerId: e.record.minerID, jobId: e.record.jobID,
                resourceType: e.record.resource.rawValue, quantity: e.record.quantity.formatted(),
                totalAmount: e.record.amount.formatted(minimumFractionDigits: 2), timestamp: e.record.timestamp,
                status: e.lastStatus, error: e.lastError, rejectedAt: e.settledAt)
        }
        sync = Sync(enabled: settings.syncEnabled, lastSyncAt: lastSyncAt)
    }
}

/// RFC 3339 times in query strings and bodies, with or without fractional seconds.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
