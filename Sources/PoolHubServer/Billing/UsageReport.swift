// Usage of one filter, priced.

import Foundation
import PoolHubCore
import PoolHubStore

/// Usage of one filter, priced: totals per resource type (match requests not yet turned into records
/// included at the current price), the outbox's state and the rejected records.
struct UsageReport: Sendable {
    struct Line: Sendable {
        var resource: UsageResource
        var quantity: Micros
        var amount: Micros
        var records: Int
        /// `api_calls` only: calls counted in windows not yet recorded (included in quantity and amount).
        var unrecordedCalls: Int64?
    }

    var filter: UsageFilter
    var lines: [Line]
    var totalAmount: Micros
    var outbox: [OutboxState: Int]
    var rejected: [OutboxEntry]
    var syncEnabled: Bool
    var lastSyncAt: Date?

    init(_ summary: UsageSummary, filter: UsageFilter, prices: UsagePrices, syncEnabled: Bool, lastSyncAt: Date?) {
        let pricing = UsagePricing(prices: prices)
        self.filter = filter
        lines = UsageResource.allCases.map { resource in
            let total = summary.totals[resource] ?? .init()
            var line = Line(resource: resource, quantity: total.quantity, amount: total.amount, records: total.records)
            if resource == .apiCalls {
                let open = Micros(units: summary.unrecordedAPICalls)
                line.unrecordedCalls = summary.unrecordedAPICalls
                line.quantity += open
                line.amount += pricing.amount(open, prices.apiCalls)
            }
            return line
        }
        totalAmount = lines.reduce(Micros.zero) { $0 + $1.amount }
        outbox = summary.outbox
        rejected = summary.rejected
        self.syncEnabled = syncEnabled
        self.lastSyncAt = lastSyncAt
    }
}
