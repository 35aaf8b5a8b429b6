// Usage and the billing outbox in SQLite.

package import Foundation
import GRDB
package import PoolHubCore

// Usage and its outbox in SQLite. Writes are serialised by SQLite itself (one writer at a time), so
// reading then updating inside one `write` is atomic: no claim can interleave with another.

extension SQLiteHubStore {
    package func addAPICalls(_ counts: [APICallCount], jobTenants: [JobTenant]) async throws {
        guard !counts.isEmpty || !jobTenants.isEmpty else { return }
        try await pool.write { db in
            // Prepared once per connection: this runs for every group commit of match requests.
            let addCalls = try db.cachedStatement(
                sql: """
                    INSERT INTO usage_api_calls (tenant_id, window_start, window_end, calls) VALUES (?, ?, ?, ?)
                    ON CONFLICT (tenant_id, window_start) DO UPDATE SET calls = calls + excluded.calls
                    """)
            for count in counts {
                try addCalls.execute(arguments: [count.tenantID, count.window.start, count.window.end, count.calls])
            }
            let addJob = try db.cachedStatement(
                sql: "INSERT INTO usage_job_tenants (job_id, tenant_id, matched_at) VALUES (?, ?, ?) ON CONFLICT (job_id) DO NOTHING")
            for job in jobTenants {
                try addJob.execute(arguments: [job.jobID, job.tenantID, job.matchedAt.timeIntervalSince1970])
            }
        }
    }

    package func recordAPICalls(endedBy cutoff: Date, pricing: UsagePricing, at now: Date) async throws -> Int {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT tenant_id, window_start, window_end, calls, recorded FROM usage_api_calls WHERE window_end <= ? AND calls > recorded",
                arguments: [cutoff.timeIntervalSince1970])
            var written = 0
            for row in rows {
                let tenant: String = row["tenant_id"]
                let start: Int64 = row["window_start"]
                let end: Int64 = row["window_end"]
                let calls: Int64 = row["calls"]
                let recorded: Int64 = row["recorded"]
                let window = APICallWindow(start: start, length: end - start)
                if let record = pricing.apiCallRecord(tenant: tenant, window: window, first: recorded + 1, last: calls) {
                    written += try Self.insertUsage([record], createdAt: now, in: db)
                }
                try db.execute(
                    sql: "UPDATE usage_api_calls SET recorded = ? WHERE tenant_id = ? AND window_start = ?",
                    arguments: [calls, tenant, start])
            }
            return written
        }
    }

    package func claimUsage(_ claim: OutboxClaim) async throws -> [OutboxEntry] {
        try await pool.write { db in
            let now = claim.now.timeIntervalSince1970
            let due = claim.ignoringBackoff ? "" : " AND next_attempt_at <= :now"
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM usage_records
                    WHERE state = 'pending'\(due) AND (lease_until IS NULL OR lease_until <= :now)
                        AND (lease_owner IS NULL OR lease_owner <> :owner)
                    ORDER BY next_attempt_at, created_at, event_id
                    LIMIT :limit
                    """, arguments: ["now": now, "owner": claim.owner, "limit": claim.limit])
            for row in rows {
                try db.execute(
                    sql: "UPDATE usage_records SET lease_owner = ?, lease_until = ? WHERE event_id = ?",
                    arguments: [claim.owner, claim.leaseUntil.timeIntervalSince1970, row["event_id"] as String])
            }
            return try rows.map(Self.outboxEntry)
        }
    }

    package func settleUsage(_ settlements: [Settlement], owner: String, at now: Date) async throws {
        guard !settlements.isEmpty else { return }
        try await pool.write { db in
            let at = now.timeIntervalSince1970
            for settlement in settlements {
                switch settlement.outcome {
                case .acknowledged(let status):
                    try db.execute(
                        sql: """
                            UPDATE usage_records SET state = 'acknowledged', attempts = attempts + 1, last_status = ?,
                                last_error = NULL, settled_at = ?, lease_until = NULL
                            WHERE event_id = ? AND state = 'pending'
                            """, arguments: [status, at, settlement.eventID])
                case .rejected(let status, let reason):
                    try db.execute(
                        sql: """
                            UPDATE usage_records SET state = 'rejected', attempts = attempts + 1, last_status = ?,
                                last_error = ?, settled_at = ?, lease_until = NULL
                            WHERE event_id = ? AND state = 'pending' AND lease_owner = ?
                            """, arguments: [status, UsageRow.truncated(reason), at, settlement.eventID, owner])
                case .failed(let status, let reason, let retryAt):
                    try db.execute(
                        sql: """
                            UPDATE usage_records SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?,
                                last_error = ?, lease_until = NULL
                            WHERE event_id = ? AND state = 'pending' AND lease_owner = ?
                            """,
                        arguments: [
                            retryAt.timeIntervalSince1970, status, UsageRow.truncated(reason), settlement.eventID, owner,
                        ])
                }
            }
        }
    }

    package func usageSummary(_ filter: UsageFilter, rejectedLimit: Int) async throws -> UsageSummary {
        try await pool.read { db in
            let records = UsageFilterSQL(filter, placeholder: { _ in "?" })
            let arguments = Self.arguments(records.values)
            var totals: [UsageResource: UsageSummary.Total] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT resource_type, COUNT(*) AS n, COALESCE(SUM(quantity_micros), 0) AS q, COALESCE(SUM(amount_micros), 0) AS a
                    FROM usage_records\(records.clause()) GROUP BY resource_type
                    """, arguments: arguments)
            {
                guard let resource = UsageResource(rawValue: row["resource_type"]) else { continue }
                totals[resource] = .init(records: row["n"], quantity: Micros(row["q"]), amount: Micros(row["a"]))
            }
            var outbox: [OutboxState: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT state, COUNT(*) AS n FROM usage_records\(records.clause()) GROUP BY state", arguments: arguments)
            {
                if let state = OutboxState(rawValue: row["state"]) { outbox[state] = row["n"] }
            }
            var unrecorded: Int64 = 0
            if filter.minerID == nil {
                let counts = UsageFilterSQL(filter, placeholder: { _ in "?" }, time: "window_start", counts: true)
                unrecorded =
                    try Int64.fetchOne(
                        db, sql: "SELECT COALESCE(SUM(calls - recorded), 0) FROM usage_api_calls\(counts.clause())",
                        arguments: Self.arguments(counts.values)) ?? 0
            }
            var limited = arguments
            _ = limited.append(contentsOf: [max(0, rejectedLimit)])
            let rejected = try Row.fetchAll(
                db,
                sql: "SELECT * FROM usage_records\(records.clause("state = 'rejected'")) ORDER BY settled_at DESC, event_id LIMIT ?",
                arguments: limited
            ).map(Self.outboxEntry)
            return UsageSummary(totals: totals, unrecordedAPICalls: unrecorded, outbox: outbox, rejected: rejected)
        }
    }

    package func usageEntries(_ filter: UsageFilter, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            let records = UsageFilterSQL(filter, placeholder: { _ in "?" })
            var arguments = Self.arguments(records.values)
            _ = arguments.append(contentsOf: [max(0, limit)])
            return try Row.fetchAll(
                db, sql: "SELECT * FROM usage_records\(records.clause()) ORDER BY created_at, event_id LIMIT ?", arguments: arguments
            ).map(Self.outboxEntry)
        }
    }

    package func pendingUsageCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM usage_records WHERE state = 'pending'") ?? 0 }
    }

    package func forgetJobTenants(matchedBefore date: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM usage_job_tenants WHERE matched_at < ?", arguments: [date.timeIntervalSince1970])
        }
    }

    /// Writes the usage of a result just recorded, in its transaction: to the tenant the report names,
    /// else the one the job was matched for, else the default.
    static func recordUsage(of result: JobResult, _ usage: ResultUsage, in db: Database) throws {
        var tenant = usage.tenantID
        if tenant == nil {
            tenant = try String.fetchOne(db, sql: "SELECT tenant_id FROM usage_job_tenants WHERE job_id = ?", arguments: [result.jobID])
        }
        let records = usage.pricing.records(for: result, tenant: tenant ?? usage.defaultTenant)
        try insertUsage(records, createdAt: result.reportedAt, in: db)
    }

    /// Inserts new pending records; an event id already stored is left as it is. Returns how many were new.
    @discardableResult
    static func insertUsage(_ records: [UsageRecord], createdAt: Date, in db: Database) throws -> Int {
        var inserted = 0
        for record in records {
            let r = UsageRow(record, createdAt: createdAt)
            try db.execute(
                sql:
                    "INSERT INTO usage_records (\(UsageRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                arguments: [
                    r.eventID, r.tenantID, r.minerID, r.jobID, r.resource, r.quantityMicros, r.unit, r.unitPrice, r.amountMicros,
                    r.currency, r.occurredAt, r.metadata, r.createdAt, r.createdAt,
                ])
            inserted += db.changesCount
        }
        return inserted
    }

    private static func arguments(_ values: [FilterValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .text(let s): s
                case .real(let d): d
                }
            })
    }

    private static func outboxEntry(_ row: Row) throws -> OutboxEntry {
        let eventID: String = row["event_id"]
        let record = try UsageRow.record(
            eventID: eventID, tenantID: row["tenant_id"], minerID: row["miner_id"], jobID: row["job_id"],
            resource: row["resource_type"], quantityMicros: row["quantity_micros"], unitPrice: row["unit_price"],
            amountMicros: row["amount_micros"], occurredAt: row["occurred_at"], metadata: row["metadata"])
        return OutboxEntry(
            record: record, state: try UsageRow.state(row["state"], of: eventID), attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastStatus: row["last_status"],
            lastError: row["last_error"], settledAt: (row["settled_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
