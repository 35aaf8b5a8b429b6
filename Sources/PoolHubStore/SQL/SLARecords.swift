// SLA records in SQL shared by both backends.

package import Foundation
package import PoolHubCore

// The SLA records, written once in SQL both SQLite and PostgreSQL accept; each store only runs it.
// Times are epoch seconds; the fleet is miner_key '' (violations), miner_id NULL (samples), model '' (snapshots).

extension SLAStore where Self: SQLSession {
    package func onlineSpells(overlapping window: DateInterval) async throws -> [MinerAddress: OnlineSpells] {
        let (from, to) = (window.start.timeIntervalSince1970, window.end.timeIntervalSince1970)
        let rows = try await rows(
            SQLStatement(
                """
                SELECT s.address, s.started_at, s.ended_at FROM online_spells s JOIN miners m ON m.address = s.address
                WHERE m.deregistered_at IS NULL AND s.ended_at > ? AND s.started_at < ?
                UNION ALL
                SELECT st.address, st.online_since, st.online_until FROM miner_status st JOIN miners m ON m.address = st.address
                WHERE m.deregistered_at IS NULL AND st.online_until > ? AND st.online_since < ?
                """, [.real(from), .real(to), .real(from), .real(to)]))
        var spells: [MinerAddress: OnlineSpells] = [:]
        for row in rows {
            guard let address = MinerAddress(row[0].text ?? ""), let start = row[1].real, let end = row[2].real, end >= start else {
                throw StoreError.corrupt("online spell \(row)")
            }
            spells[address, default: OnlineSpells()].spells.append(
                DateInterval(start: Date(timeIntervalSince1970: start), end: Date(timeIntervalSince1970: end)))
        }
        return spells
    }

    package func jobWindows(_ window: DateInterval) async throws -> [MinerAddress: JobWindow] {
        let rows = try await rows(
            SQLStatement(
                "SELECT address, status, response_time_ms FROM job_results WHERE reported_at > ? AND reported_at <= ?",
                [.real(window.start.timeIntervalSince1970), .real(window.end.timeIntervalSince1970)]))
        var windows: [MinerAddress: JobWindow] = [:]
        for row in rows {
            guard let address = MinerAddress(row[0].text ?? ""), let outcome = JobOutcome(rawValue: row[1].text ?? "") else {
                throw StoreError.corrupt("job result \(row)")
            }
            windows[address, default: JobWindow()].add(outcome, responseTimeMs: row[2].real)
        }
        return windows
    }

    package func recordSLAPass(_ pass: SLAPassRecord) async throws -> SLAPassOutcome {
        let at = SQLValue.real(pass.at.timeIntervalSince1970)
        let violating = pass.samples.filter(\.isViolation)
        var statements: [SQLStatement] = []
        statements += SLASQL.inserts(
            into: "sla_samples", columns: ["miner_id", "metric_type", "value", "threshold", "severity", "measured_at"],
            rows: pass.samples.map { s in
                [SQLValue(s.minerID?.value), .text(s.metric.rawValue), .real(s.value), .real(s.threshold), SQLValue(s.severity?.rawValue), at]
            })
        statements += SLASQL.inserts(
            into: "capacity_snapshots", columns: ["taken_at", "model", "total_miners", "online_miners", "total_slots", "used_slots"],
            rows: pass.snapshots.map { s in
                [
                    .real(s.takenAt.timeIntervalSince1970), .text(s.model ?? ""), SQLValue(s.totalMiners), SQLValue(s.onlineMiners),
                    SQLValue(s.totalSlots), SQLValue(s.usedSlots),
                ]
            })
        // Still violating: the open violation takes the new measurement; otherwise one opens (the unique
        // index of open violations turns a concurrent pass's duplicate into a no-op).
        let openings = statements.count
        for chunk in SLASQL.chunks(of: violating) {
            let values = chunk.flatMap { s -> [SQLValue] in
                [.text(s.minerID?.value ?? ""), .text(s.metric.rawValue), .text(s.severity!.rawValue), .real(s.value), .real(s.threshold)]
            }
            let measured = "WITH s (miner_key, violation_type, severity, value, threshold) AS (VALUES \(SLASQL.tuples(chunk.count, of: 5)))"
            statements.append(
                SQLStatement(
                    """
                    \(measured)
                    UPDATE sla_violations SET severity = s.severity, value = s.value, threshold = s.threshold, last_seen_at = ?
                    FROM s WHERE sla_violations.miner_key = s.miner_key AND sla_violations.violation_type = s.violation_type
                      AND sla_violations.resolved_at IS NULL
                    """, values + [at]))
            statements.append(
                SQLStatement(
                    """
                    \(measured)
                    INSERT INTO sla_violations (miner_key, violation_type, severity, value, threshold, started_at, last_seen_at)
                    SELECT miner_key, violation_type, severity, value, threshold, ?, ? FROM s WHERE true
                    ON CONFLICT (miner_key, violation_type) WHERE resolved_at IS NULL DO NOTHING
                    RETURNING violation_type
                    """, values + [at, at]))
        }
        let insertsEnd = statements.count
        statements.append(
            SQLStatement("UPDATE sla_violations SET resolved_at = ? WHERE resolved_at IS NULL AND last_seen_at < ? RETURNING id", [at, at]))
        let cutoff = SQLValue.real(pass.pruneBefore.timeIntervalSince1970)
        statements += [
            SQLStatement("DELETE FROM sla_samples WHERE measured_at < ?", [cutoff]),
            SQLStatement("DELETE FROM capacity_snapshots WHERE taken_at < ?", [cutoff]),
            SQLStatement("DELETE FROM online_spells WHERE ended_at < ?", [cutoff]),
        ]
        let results = try await run(statements)
        var outcome = SLAPassOutcome()
        for i in stride(from: openings + 1, to: insertsEnd, by: 2) {
            outcome.violationsOpened += results[i].compactMap { SLAMetric(rawValue: $0[0].text ?? "") }
        }
        outcome.violationsResolved = results[insertsEnd].count
        return outcome
    }

    package func slaSampleCount(since: Date) async throws -> Int {
        let rows = try await rows(SQLStatement("SELECT COUNT(*) FROM sla_samples WHERE measured_at >= ?", [.real(since.timeIntervalSince1970)]))
        return Int(rows.first?.first?.integer ?? 0)
    }

    package func slaSamples(minerID: MinerAddress?, metric: SLAMetric?, since: Date, limit: Int) async throws -> [SLASample] {
        var sql = "SELECT miner_id, metric_type, value, threshold, severity, measured_at FROM sla_samples WHERE measured_at >= ?"
        var values: [SQLValue] = [.real(since.timeIntervalSince1970)]
        if let minerID {
            sql += " AND miner_id = ?"
            values.append(.text(minerID.value))
        }
        if let metric {
            sql += " AND metric_type = ?"
            values.append(.text(metric.rawValue))
        }
        sql += " ORDER BY measured_at DESC, id DESC LIMIT ?"
        values.append(SQLValue(limit))
        return try await rows(SQLStatement(sql, values)).map { row in
            guard let metric = SLAMetric(rawValue: row[1].text ?? ""), let value = row[2].real, let threshold = row[3].real,
                let measured = row[5].real
            else { throw StoreError.corrupt("SLA sample \(row)") }
            return SLASample(
                minerID: row[0].text.flatMap(MinerAddress.init), metric: metric, value: value, threshold: threshold,
                severity: row[4].text.flatMap(SLASeverity.init), measuredAt: Date(timeIntervalSince1970: measured))
        }
    }

    package func slaViolations(minerID: MinerAddress?, resolved: Bool?, limit: Int) async throws -> [SLAViolation] {
        var sql = "SELECT id, miner_key, violation_type, severity, value, threshold, started_at, resolved_at FROM sla_violations WHERE true"
        var values: [SQLValue] = []
        if let minerID {
            sql += " AND miner_key = ?"
            values.append(.text(minerID.value))
        }
        if let resolved { sql += resolved ? " AND resolved_at IS NOT NULL" : " AND resolved_at IS NULL" }
        sql += " ORDER BY started_at DESC, id DESC LIMIT ?"
        values.append(SQLValue(limit))
        return try await rows(SQLStatement(sql, values)).map { row in
            guard let id = row[0].integer, let key = row[1].text, let metric = SLAMetric(rawValue: row[2].text ?? ""),
                let severity = SLASeverity(rawValue: row[3].text ?? ""), let value = row[4].real, let threshold = row[5].real,
                let started = row[6].real
            else { throw StoreError.corrupt("SLA violation \(row)") }
            return SLAViolation(
                id: id, minerID: MinerAddress(key), metric: metric, severity: severity, value: value, threshold: threshold,
                startedAt: Date(timeIntervalSince1970: started), resolvedAt: row[7].real.map(Date.init(timeIntervalSince1970:)))
        }
    }

    package func openViolationCounts() async throws -> OpenViolationCounts {
        let rows = try await rows(
            SQLStatement(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN severity = ? THEN 1 ELSE 0 END), 0) FROM sla_violations WHERE resolved_at IS NULL",
                [.text(SLASeverity.critical.rawValue)]))
        return OpenViolationCounts(open: Int(rows.first?[0].integer ?? 0), critical: Int(rows.first?[1].integer ?? 0))
    }

    package func capacitySnapshots(model: String?, since: Date) async throws -> [CapacitySnapshot] {
        try await rows(
            SQLStatement(
                """
                SELECT taken_at, total_miners, online_miners, total_slots, used_slots FROM capacity_snapshots
                WHERE model = ? AND taken_at >= ? ORDER BY taken_at
                """, [.text(model ?? ""), .real(since.timeIntervalSince1970)])
        ).map { row in
            guard let taken = row[0].real, let total = row[1].integer, let online = row[2].integer, let slots = row[3].integer,
                let used = row[4].integer
            else { throw StoreError.corrupt("capacity snapshot \(row)") }
            return CapacitySnapshot(
                takenAt: Date(timeIntervalSince1970: taken), model: model, totalMiners: Int(total), onlineMiners: Int(online),
                totalSlots: Int(slots), usedSlots: Int(used))
        }
    }

    package func snapshotModels(since: Date) async throws -> [String] {
        try await rows(
            SQLStatement(
                "SELECT DISTINCT model FROM capacity_snapshots WHERE taken_at >= ? AND model <> '' ORDER BY model",
                [.real(since.timeIntervalSince1970)])
        ).compactMap { $0[0].text }
    }
}

/// Multi-row statements, in chunks that stay under both databases' parameter limits.
enum SLASQL {
    static let rowsPerStatement = 500

    static func chunks<T>(of items: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: rowsPerStatement).map { items[$0..<min($0 + rowsPerStatement, items.count)] }
    }

    static func tuples(_ count: Int, of width: Int) -> String {
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        return Array(repeating: tuple, count: count).joined(separator: ", ")
    }

    static func inserts(into table: String, columns: [String], rows: [[SQLValue]]) -> [SQLStatement] {
        chunks(of: rows).map { chunk in
            SQLStatement(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples(chunk.count, of: columns.count))",
                chunk.flatMap { $0 })
        }
    }
}
