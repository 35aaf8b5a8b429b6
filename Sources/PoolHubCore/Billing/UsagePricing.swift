// Prices and the pricing of delivered work into usage records.

package import Foundation

/// Turns delivered work into priced usage records (API.md, "Outbound: the coordinator's billing API"):
/// `gpu_hours` = reported `gpu_seconds` / 3600 of any result, `compute_hours` = `response_time_ms` /
/// 3,600,000 of completed jobs, `api_calls` = match requests per tenant. Quantities are rounded to six
/// decimal places, then priced, and each amount rounded to six places (half away from zero).
package struct UsagePricing: Sendable, Equatable {
    package var prices: UsagePrices

    package init(prices: UsagePrices) { self.prices = prices }

    /// The usage records of one job result billed to `tenant`; none for work that used nothing.
    package func records(for result: JobResult, tenant: String) -> [UsageRecord] {
        var records: [UsageRecord] = []
        let status = ["status": result.outcome.rawValue]
        if let seconds = result.gpuSeconds, seconds > 0,
            let hours = Micros(rounding: Micros.decimal(seconds) / 3600), hours > .zero
        {
            records.append(
                record(
                    .gpuHours, quantity: hours, tenant: tenant, result: result,
                    metadata: status.merging(["gpu_seconds": Micros.decimal(seconds).description]) { $1 }))
        }
        if result.outcome == .completed, let ms = result.responseTimeMs, ms > 0,
            let hours = Micros(rounding: Micros.decimal(ms) / 3_600_000), hours > .zero
        {
            records.append(
                record(
                    .computeHours, quantity: hours, tenant: tenant, result: result,
                    metadata: status.merging(["response_time_ms": Micros.decimal(ms).description]) { $1 }))
        }
        return records
    }

    /// The record of match requests `first...last` of `tenant` in `window`; nil when there are none.
    package func apiCallRecord(tenant: String, window: APICallWindow, first: Int64, last: Int64) -> UsageRecord? {
        guard last >= first, first >= 1 else { return nil }
        let quantity = Micros(units: last - first + 1)
        return UsageRecord(
            eventID: UsageEventID.apiCalls(tenant: tenant, windowStart: window.start, first: first, last: last),
            tenantID: tenant, minerID: nil, jobID: nil, resource: .apiCalls, quantity: quantity,
            unitPrice: prices.apiCalls, amount: amount(quantity, prices.apiCalls), timestamp: window.startDate,
            metadata: [
                "window_start": window.startDate.formatted(.iso8601),
                "window_end": window.endDate.formatted(.iso8601),
                "first_call": String(first), "last_call": String(last),
            ])
    }

    /// `quantity` × `price`, rounded to six places (saturating at the largest representable amount).
    package func amount(_ quantity: Micros, _ price: Decimal) -> Micros {
        Micros(rounding: quantity.decimal * price) ?? Micros(Int64.max)
    }

    private func record(
        _ resource: UsageResource, quantity: Micros, tenant: String, result: JobResult, metadata: [String: String]
    ) -> UsageRecord {
        let price = prices[resource]
        return UsageRecord(
            eventID: UsageEventID.job(result.jobID, miner: result.address, resource: resource), tenantID: tenant,
            minerID: result.address.value, jobID: result.jobID, resource: resource, quantity: quantity, unitPrice: price,
            amount: amount(quantity, price), timestamp: result.reportedAt, metadata: metadata)
    }
}
