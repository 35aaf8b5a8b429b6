// The shared SQL run on PostgreSQL.

import PostgresNIO

extension PostgresHubStore: SQLSession {
    package func run(_ statements: [SQLStatement]) async throws -> [[[SQLValue]]] {
        let queries = statements.map { statement in
            var binds = PostgresBindings(capacity: statement.values.count)
            for value in statement.values {
                switch value {
                case .null: binds.appendNull()
                case .text(let s): binds.append(s)
                case .real(let d): binds.append(d)
                case .integer(let i): binds.append(i)
                }
            }
            return PostgresQuery(unsafeSQL: statement.numbered, binds: binds)
        }
        let run: @Sendable (PostgresConnection) async throws -> [[[SQLValue]]] = { connection in
            var results: [[[SQLValue]]] = []
            for query in queries {
                let rows = try await connection.query(query, logger: self.logger).collect()
                results.append(try rows.map { row in try row.map(SQLValue.init) })
            }
            return results
        }
        return try await queries.count == 1 ? withConnection(run) : withTransaction(run)
    }
}

extension SQLValue {
    fileprivate init(_ cell: PostgresCell) throws {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8: self = .integer(try cell.decode(Int64.self))
        case .float4, .float8: self = .real(try cell.decode(Double.self))
        case .bool: self = .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: self = .text(try cell.decode(String.self))
        }
    }
}
