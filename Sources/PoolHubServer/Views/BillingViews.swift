// Billing answers: usage and sync reports.

import Foundation
import PoolHubCore
import PoolHubStore

/// The answer of `GET /sla/billing/usage`: money and quantities as decimal strings.
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

    init(_ report: UsageReport) {
        tenantId = report.filter.tenantID
        minerId = report.filter.minerID
        from = report.filter.from
        to = report.filter.to
        for line in report.lines {
            totals[line.resource.rawValue] = Total(
                quantity: line.quantity.formatted(), unit: line.resource.unit, amount: line.amount.formatted(minimumFractionDigits: 2),
                records: line.records, unrecordedCalls: line.unrecordedCalls)
        }
        totalAmount = report.totalAmount.formatted(minimumFractionDigits: 2)
        outbox = Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0.rawValue, report.outbox[$0] ?? 0) })
        rejected = report.rejected.map { e in
            Rejected(
                eventId: e.record.eventID, tenantId: e.record.tenantID, minerId: e.record.minerID, jobId: e.record.jobID,
                resourceType: e.record.resource.rawValue, quantity: e.record.quantity.formatted(),
                totalAmount: e.record.amount.formatted(minimumFractionDigits: 2), timestamp: e.record.timestamp,
                status: e.lastStatus, error: e.lastError, rejectedAt: e.settledAt)
        }
        sync = Sync(enabled: report.syncEnabled, lastSyncAt: report.lastSyncAt)
    }
}

/// The answer of `POST /sla/billing/sync`: what the pass did.
struct SyncReportView: Encodable {
    var sent: Int
    var alreadyAcknowledged: Int
    var rejected: Int
    var failed: Int
    var pending: Int

    init(_ report: BillingSync.Report) {
        sent = report.sent
        alreadyAcknowledged = report.alreadyAcknowledged
        rejected = report.rejected
        failed = report.failed
        pending = report.pending
    }
}
