// The shared SQL run on SQLite.

import GRDB

extension SQLiteHubStore: SQLSession {
    package func run(_ statements: [SQLStatement]) async throws -> [[[SQLValue]]] {
        try await pool.write { db in
            try statements.map { statement in
                let arguments = StatementArguments(statement.values.map(\.databaseValue))
                return try Row.fetchAll(db, sql: statement.sql, arguments: arguments).map { row in
                    row.databaseValues.map(SQLValue.init)
                }
            }
        }
    }
}

extension SQLValue {
    fileprivate var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .text(let s): s.databaseValue
        case .real(let d): d.databaseValue
        case .integer(let i): i.databaseValue
        }
    }

    fileprivate init(_ value: DatabaseValue) {
        switch value.storage {
        case .null, .blob: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        }
    }
}
