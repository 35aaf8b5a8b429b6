// Billing routes: usage, sync, invoices.

import Foundation
import Hummingbird
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
        var query = QueryReader(request)
        let filter = UsageFilter(
            tenantID: query.text("tenant_id"), minerID: query.text("miner_id").map { MinerAddress($0)?.value ?? $0 },
            from: query.time("from"), to: query.time("to"))
        if let from = filter.from, let to = filter.to, from >= to { query.fail("to", "must be after from") }
        try query.validate()
        return try JSONResponse.make(UsageView(try await sync.usage(filter)))
    }

    /// Sends everything pending now, backoff or not.
    @Sendable func syncNow(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        return try JSONResponse.make(SyncReportView(try await sync.syncNow()))
    }

    /// Asks the coordinator for an invoice and returns its answer.
    @Sendable func invoice(_ request: Request, context: HubRequestContext) async throws -> Response {
        try access.require(.admin, request)
        var request = request
        var r = FieldReader(try await request.jsonBody())
        let tenantID = r.string("tenant_id", required: true, length: 1...128)
        let start = r.time("period_start")
        let end = r.time("period_end")
        if let start, let end, start >= end { r.fail("period_end", "must be after period_start") }
        try r.validate()
        guard let tenantID, let start, let end else { throw APIError.invalid(r.problems) }
        let invoice = try await sync.requestInvoice(tenantID: tenantID, from: start, to: end)
        return Response(
            status: HTTPResponse.Status(code: invoice.status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: invoice.body)))
    }
}
