// A usage record's columns, shared by both backends.

import Foundation
import PoolHubCore

/// The columns of a usage record, encoded the same way for both databases.
struct UsageRow: Sendable {
    static let columns =
        "event_id, tenant_id, miner_id, job_id, resource_type, quantity_micros, unit, unit_price, amount_micros, currency, occurred_at, metadata, created_at, next_attempt_at"

    var eventID: String
    var tenantID: String
    var minerID: String?
    var jobID: String?
    var resource: String
    var quantityMicros: Int64
    var unit: String
    var unitPrice: String
    var amountMicros: Int64
    var currency: String
    var occurredAt: Double
    var metadata: String
    /// Also the first `next_attempt_at`: a new record is due at once.
    var createdAt: Double

    init(_ record: UsageRecord, createdAt: Date) {
        eventID = record.eventID
        tenantID = record.tenantID
        minerID = record.minerID
        jobID = record.jobID
        resource = record.resource.rawValue
        quantityMicros = record.quantity.value
        unit = record.unit
        unitPrice = record.unitPrice.description
        amountMicros = record.amount.value
        currency = UsageRecord.currency
        occurredAt = record.timestamp.timeIntervalSince1970
        metadata = Self.encode(record.metadata)
        self.createdAt = createdAt.timeIntervalSince1970
    }

    static func encode(_ metadata: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(metadata)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A stored record back as a domain value; throws `StoreError.corrupt` for values no writer produces.
    static func record(
        eventID: String, tenantID: String, minerID: String?, jobID: String?, resource: String, quantityMicros: Int64,
        unitPrice: String, amountMicros: Int64, occurredAt: Double, metadata: String
    ) throws -> UsageRecord {
        guard let resourceType = UsageResource(rawValue: resource), let price = Decimal(string: unitPrice) else {
            throw StoreError.corrupt("usage record \(eventID)")
        }
        let fields = (try? JSONDecoder().decode([String: String].self, from: Data(metadata.utf8))) ?? [:]
        return UsageRecord(
            eventID: eventID, tenantID: tenantID, minerID: minerID, jobID: jobID, resource: resourceType,
            quantity: Micros(quantityMicros), unitPrice: price, amount: Micros(amountMicros),
            timestamp: Date(timeIntervalSince1970: occurredAt), metadata: fields)
    }

    static func state(_ raw: String, of eventID: String) throws -> OutboxState {
        guard let state = OutboxState(rawValue: raw) else { throw StoreError.corrupt("outbox state of \(eventID)") }
        return state
    }

    /// Error texts are kept short: they are for people reading the rejected list, not for replay.
    static func truncated(_ text: String) -> String { text.count <= 500 ? text : String(text.prefix(500)) + "…" }
}

/// A bound value of a usage filter.
enum FilterValue: Sendable {
    case text(String)
    case real(Double)
}

/// The WHERE clause of a usage filter, as SQL text with `?` or `$n` placeholders and its values in order.
struct UsageFilterSQL {
    var conditions: [String] = []
    var values: [FilterValue] = []

    /// `placeholder(n)` names the n-th value (1-based); `time` is the column `from`/`to` select on;
    /// the match-request counts (`counts`) have no miner.
    init(_ filter: UsageFilter, placeholder: (Int) -> String, time column: String = "occurred_at", counts: Bool = false) {
        func add(_ value: FilterValue, _ condition: (String) -> String) {
            values.append(value)
            conditions.append(condition(placeholder(values.count)))
        }
        if let tenant = filter.tenantID { add(.text(tenant)) { "tenant_id = \($0)" } }
        if !counts, let miner = filter.minerID { add(.text(miner)) { "miner_id = \($0)" } }
        if let from = filter.from { add(.real(from.timeIntervalSince1970)) { "\(column) >= \($0)" } }
        if let to = filter.to { add(.real(to.timeIntervalSince1970)) { "\(column) < \($0)" } }
    }

    /// " WHERE …" (or nothing), with `extra` conditions first.
    func clause(_ extra: String...) -> String {
        let all = extra + conditions
        return all.isEmpty ? "" : " WHERE " + all.joined(separator: " AND ")
    }
}
