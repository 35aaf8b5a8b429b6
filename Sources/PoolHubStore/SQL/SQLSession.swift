// The seam both backends run the shared SQL through.

/// A value bound to or read from SQL, in the few types both databases share here.
package enum SQLValue: Sendable, Equatable {
    case null
    case text(String)
    case real(Double)
    case integer(Int64)

    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    init(_ real: Double?) { self = real.map { .real($0) } ?? .null }
    init(_ integer: Int) { self = .integer(Int64(integer)) }

    var text: String? { if case .text(let s) = self { s } else { nil } }
    var real: Double? {
        switch self {
        case .real(let d): d
        case .integer(let i): Double(i)
        default: nil
        }
    }
    var integer: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d): Int64(exactly: d)
        default: nil
        }
    }
}

/// One statement with `?` placeholders, written once for both dialects.
package struct SQLStatement: Sendable {
    var sql: String
    var values: [SQLValue]

    init(_ sql: String, _ values: [SQLValue] = []) {
        self.sql = sql
        self.values = values
    }

    /// The SQL with PostgreSQL's numbered placeholders (`?` never appears inside our literals).
    var numbered: String {
        var n = 0
        return sql.split(separator: "?", omittingEmptySubsequences: false).enumerated().map { i, part in
            guard i > 0 else { return String(part) }
            n += 1
            return "$\(n)" + part
        }.joined()
    }
}

/// Runs shared SQL (the SLA records) on a store's database: the statements in order, in one transaction, with each one's rows.
package protocol SQLSession: Sendable {
    func run(_ statements: [SQLStatement]) async throws -> [[[SQLValue]]]
}

extension SQLSession {
    func rows(_ statement: SQLStatement) async throws -> [[SQLValue]] {
        try await run([statement])[0]
    }
}
