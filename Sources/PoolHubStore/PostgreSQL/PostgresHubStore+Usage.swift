// Usage and the billing outbox in PostgreSQL.

package import Foundation
package import PoolHubCore
import PostgresNIO

// Usage and its outbox in PostgreSQL. Several instances share these tables: claims take rows with
// `FOR UPDATE SKIP LOCKED` and lease them in the same statement, and multi-row writes go in key order
// so that two instances never deadlock on each other's rows.

extension PostgresHubStore {
    package func addAPICalls(_ counts: [APICallCount], jobTenants: [JobTenant]) async throws {
        // One row per key: a statement may not update a row twice.
        var merged: [String: [Int64: APICallCount]] = [:]
        for count in counts {
            merged[count.tenantID, default: [:]][count.window.start, default: APICallCount(tenantID: count.tenantID, window: count.window, calls: 0)]
                .calls += count.calls
        }
        let rows = merged.keys.sorted().flatMap { tenant in merged[tenant]!.keys.sorted().map { merged[tenant]![$0]! } }
        var seen = Set<String>()
        let jobs = jobTenants.sorted { $0.jobID < $1.jobID }.filter { seen.insert($0.jobID).inserted }
        guard !rows.isEmpty || !jobs.isEmpty else { return }
        try await withTransaction { connection in
            for chunk in rows.chunked(500) {
                var binds = PostgresBindings(capacity: chunk.count * 4)
                var values: [String] = []
                for (i, count) in chunk.enumerated() {
                    values.append("($\(i * 4 + 1), $\(i * 4 + 2), $\(i * 4 + 3), $\(i * 4 + 4))")
                    binds.append(count.tenantID)
                    binds.append(count.window.start)
                    binds.append(count.window.end)
                    binds.append(count.calls)
                }
                let sql = """
                    INSERT INTO usage_api_calls (tenant_id, window_start, window_end, calls) VALUES \(values.joined(separator: ", "))
                    ON CONFLICT (tenant_id, window_start) DO UPDATE SET calls = usage_api_calls.calls + excluded.calls
                    """
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            }
            for chunk in jobs.chunked(500) {
                var binds = PostgresBindings(capacity: chunk.count * 3)
                var values: [String] = []
                for (i, job) in chunk.enumerated() {
                    values.append("($\(i * 3 + 1), $\(i * 3 + 2), $\(i * 3 + 3))")
                    binds.append(job.jobID)
                    binds.append(job.tenantID)
                    binds.append(job.matchedAt.timeIntervalSince1970)
                }
                let sql = """
                    INSERT INTO usage_job_tenants (job_id, tenant_id, matched_at) VALUES \(values.joined(separator: ", "))
                    ON CONFLICT (job_id) DO NOTHING
                    """
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            }
        }
    }

    package func recordAPICalls(endedBy cutoff: Date, pricing: UsagePricing, at now: Date) async throws -> Int {
        try await withTransaction { connection in
            // The row locks make a concurrent recording (another instance) wait, then skip what this one recorded.
            let rows = try await connection.query(
                """
                SELECT tenant_id, window_start, window_end, calls, recorded FROM usage_api_calls
                WHERE window_end <= \(cutoff.timeIntervalSince1970) AND calls > recorded
                ORDER BY tenant_id, window_start
                FOR UPDATE
                """, logger: self.logger
            ).collect()
            var written = 0
            for postgresRow in rows {
                let row = PostgresRandomAccessRow(postgresRow)
                let tenant = try row["tenant_id"].decode(String.self)
                let start = try row["window_start"].decode(Int64.self)
                let end = try row["window_end"].decode(Int64.self)
                let calls = try row["calls"].decode(Int64.self)
                let recorded = try row["recorded"].decode(Int64.self)
                let window = APICallWindow(start: start, length: end - start)
                if let record = pricing.apiCallRecord(tenant: tenant, window: window, first: recorded + 1, last: calls) {
                    written += try await self.insertUsage([record], createdAt: now, on: connection)
                }
                try await connection.query(
                    "UPDATE usage_api_calls SET recorded = \(calls) WHERE tenant_id = \(tenant) AND window_start = \(start)",
                    logger: self.logger)
            }
            return written
        }
    }

    package func claimUsage(_ claim: OutboxClaim) async throws -> [OutboxEntry] {
        let due = claim.ignoringBackoff ? "" : " AND next_attempt_at <= $1"
        var binds = PostgresBindings(capacity: 4)
        binds.append(claim.now.timeIntervalSince1970)
        binds.append(claim.owner)
        binds.append(claim.leaseUntil.timeIntervalSince1970)
        binds.append(claim.limit)
        let sql = """
            UPDATE usage_records SET lease_owner = $2, lease_until = $3
            WHERE event_id IN (
                SELECT event_id FROM usage_records
                WHERE state = 'pending'\(due) AND (lease_until IS NULL OR lease_until <= $1)
                    AND (lease_owner IS NULL OR lease_owner <> $2)
                ORDER BY next_attempt_at, created_at, event_id
                LIMIT $4
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let entries = try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect().map(Self.outboxEntry)
        }
        return entries.sorted { ($0.nextAttemptAt, $0.record.eventID) < ($1.nextAttemptAt, $1.record.eventID) }
    }

    package func settleUsage(_ settlements: [Settlement], owner: String, at now: Date) async throws {
        guard !settlements.isEmpty else { return }
        let at = now.timeIntervalSince1970
        try await withTransaction { connection in
            for settlement in settlements.sorted(by: { $0.eventID < $1.eventID }) {
                let id = settlement.eventID
                switch settlement.outcome {
                case .acknowledged(let status):
                    try await connection.query(
                        """
                        UPDATE usage_records SET state = 'acknowledged', attempts = attempts + 1, last_status = \(status),
                            last_error = NULL, settled_at = \(at), lease_until = NULL
                        WHERE event_id = \(id) AND state = 'pending'
                        """, logger: self.logger)
                case .rejected(let status, let reason):
                    try await connection.query(
                        """
                        UPDATE usage_records SET state = 'rejected', attempts = attempts + 1, last_status = \(status),
                            last_error = \(UsageRow.truncated(reason)), settled_at = \(at), lease_until = NULL
                        WHERE event_id = \(id) AND state = 'pending' AND lease_owner = \(owner)
                        """, logger: self.logger)
                case .failed(let status, let reason, let retryAt):
                    try await connection.query(
                        """
                        UPDATE usage_records SET attempts = attempts + 1, next_attempt_at = \(retryAt.timeIntervalSince1970),
                            last_status = \(status), last_error = \(UsageRow.truncated(reason)), lease_until = NULL
                        WHERE event_id = \(id) AND state = 'pending' AND lease_owner = \(owner)
                        """, logger: self.logger)
                }
            }
        }
    }

    package func usageSummary(_ filter: UsageFilter, rejectedLimit: Int) async throws -> UsageSummary {
        let records = UsageFilterSQL(filter, placeholder: { "$\($0)" })
        let counts = UsageFilterSQL(filter, placeholder: { "$\($0)" }, time: "window_start", counts: true)
        let totalsQuery = PostgresQuery(
            unsafeSQL: """
                SELECT resource_type, COUNT(*) AS n, COALESCE(SUM(quantity_micros), 0)::BIGINT AS q,
                    COALESCE(SUM(amount_micros), 0)::BIGINT AS a
                FROM usage_records\(records.clause()) GROUP BY resource_type
                """, binds: Self.bindings(records.values))
        let statesQuery = PostgresQuery(
            unsafeSQL: "SELECT state, COUNT(*) AS n FROM usage_records\(records.clause()) GROUP BY state",
            binds: Self.bindings(records.values))
        let unrecordedQuery = PostgresQuery(
            unsafeSQL: "SELECT COALESCE(SUM(calls - recorded), 0)::BIGINT AS n FROM usage_api_calls\(counts.clause())",
            binds: Self.bindings(counts.values))
        var rejectedBinds = Self.bindings(records.values)
        rejectedBinds.append(max(0, rejectedLimit))
        let rejectedQuery = PostgresQuery(
            unsafeSQL: """
                SELECT * FROM usage_records\(records.clause("state = 'rejected'"))
                ORDER BY settled_at DESC, event_id LIMIT $\(records.values.count + 1)
                """, binds: rejectedBinds)
        let countsAPICalls = filter.minerID == nil
        return try await withConnection { connection in
            var totals: [UsageResource: UsageSummary.Total] = [:]
            for postgresRow in try await connection.query(totalsQuery, logger: self.logger).collect() {
                let row = PostgresRandomAccessRow(postgresRow)
                guard let resource = UsageResource(rawValue: try row["resource_type"].decode(String.self)) else { continue }
                totals[resource] = .init(
                    records: try row["n"].decode(Int.self), quantity: Micros(try row["q"].decode(Int64.self)),
                    amount: Micros(try row["a"].decode(Int64.self)))
            }
            var outbox: [OutboxState: Int] = [:]
            for postgresRow in try await connection.query(statesQuery, logger: self.logger).collect() {
                let row = PostgresRandomAccessRow(postgresRow)
                if let state = OutboxState(rawValue: try row["state"].decode(String.self)) { outbox[state] = try row["n"].decode(Int.self) }
            }
            var unrecorded: Int64 = 0
            if countsAPICalls, let row = try await connection.query(unrecordedQuery, logger: self.logger).collect().first {
                unrecorded = try PostgresRandomAccessRow(row)["n"].decode(Int64.self)
            }
            let rejected = try await connection.query(rejectedQuery, logger: self.logger).collect().map(Self.outboxEntry)
            return UsageSummary(totals: totals, unrecordedAPICalls: unrecorded, outbox: outbox, rejected: rejected)
        }
    }

    package func usageEntries(_ filter: UsageFilter, limit: Int) async throws -> [OutboxEntry] {
        let records = UsageFilterSQL(filter, placeholder: { "$\($0)" })
        var binds = Self.bindings(records.values)
        binds.append(max(0, limit))
        let query = PostgresQuery(
            unsafeSQL: "SELECT * FROM usage_records\(records.clause()) ORDER BY created_at, event_id LIMIT $\(records.values.count + 1)",
            binds: binds)
        return try await withConnection { connection in
            try await connection.query(query, logger: self.logger).collect().map(Self.outboxEntry)
        }
    }

    package func pendingUsageCount() async throws -> Int {
        try await withConnection { connection in
            let row = try await connection.query("SELECT COUNT(*) AS n FROM usage_records WHERE state = 'pending'", logger: self.logger)
                .collect().first
            return try row.map { try PostgresRandomAccessRow($0)["n"].decode(Int.self) } ?? 0
        }
    }

    package func forgetJobTenants(matchedBefore date: Date) async throws {
        try await withConnection { connection in
            _ = try await connection.query(
                "DELETE FROM usage_job_tenants WHERE matched_at < \(date.timeIntervalSince1970)", logger: self.logger)
        }
    }

    /// Writes the usage of a result just recorded, in its transaction: to the tenant the report names,
    /// else the one the job was matched for, else the default.
    func recordUsage(of result: JobResult, _ usage: ResultUsage, on connection: PostgresConnection) async throws {
        var tenant = usage.tenantID
        if tenant == nil,
            let row = try await connection.query(
                "SELECT tenant_id FROM usage_job_tenants WHERE job_id = \(result.jobID)", logger: logger
            ).collect().first
        {
            tenant = try PostgresRandomAccessRow(row)["tenant_id"].decode(String.self)
        }
        let records = usage.pricing.records(for: result, tenant: tenant ?? usage.defaultTenant)
        try await insertUsage(records, createdAt: result.reportedAt, on: connection)
    }

    /// Inserts new pending records; an event id already stored is left as it is. Returns how many were new.
    @discardableResult
    func insertUsage(_ records: [UsageRecord], createdAt: Date, on connection: PostgresConnection) async throws -> Int {
        var inserted = 0
        for record in records {
            let r = UsageRow(record, createdAt: createdAt)
            let rows = try await connection.query(
                """
                INSERT INTO usage_records (event_id, tenant_id, miner_id, job_id, resource_type, quantity_micros, unit, unit_price,
                                           amount_micros, currency, occurred_at, metadata, created_at, next_attempt_at)
                VALUES (\(r.eventID), \(r.tenantID), \(r.minerID), \(r.jobID), \(r.resource), \(r.quantityMicros), \(r.unit),
                        \(r.unitPrice), \(r.amountMicros), \(r.currency), \(r.occurredAt), \(r.metadata), \(r.createdAt), \(r.createdAt))
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id
                """, logger: logger
            ).collect()
            inserted += rows.count
        }
        return inserted
    }

    private static func bindings(_ values: [FilterValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let s): binds.append(s)
            case .real(let d): binds.append(d)
            }
        }
        return binds
    }

    private static func outboxEntry(_ postgresRow: PostgresRow) throws -> OutboxEntry {
        let row = PostgresRandomAccessRow(postgresRow)
        let eventID = try row["event_id"].decode(String.self)
        let record = try UsageRow.record(
            eventID: eventID, tenantID: try row["tenant_id"].decode(String.self), minerID: try row["miner_id"].decode(String?.self),
            jobID: try row["job_id"].decode(String?.self), resource: try row["resource_type"].decode(String.self),
            quantityMicros: try row["quantity_micros"].decode(Int64.self), unitPrice: try row["unit_price"].decode(String.self),
            amountMicros: try row["amount_micros"].decode(Int64.self), occurredAt: try row["occurred_at"].decode(Double.self),
            metadata: try row["metadata"].decode(String.self))
        return OutboxEntry(
            record: record, state: try UsageRow.state(try row["state"].decode(String.self), of: eventID),
            attempts: try row["attempts"].decode(Int.self), nextAttemptAt: try requiredDate(row, "next_attempt_at"),
            lastStatus: try row["last_status"].decode(Int?.self), lastError: try row["last_error"].decode(String?.self),
            settledAt: try date(row, "settled_at"))
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
