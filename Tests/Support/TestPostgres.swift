import Foundation
package import Logging
package import PoolHubStore
package import PostgresNIO

/// The PostgreSQL server named by `POOLHUB_TEST_POSTGRES_URL` (an admin URL such as
/// postgresql://pgci@127.0.0.1:55432/postgres); every test gets its own database on it.
package enum TestPostgres {
    package static let adminURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_POSTGRES_URL"]
    package static var isConfigured: Bool { adminURL != nil }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "POOLHUB_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)" }
    }

    static func requireAdminURL() throws -> String {
        guard let adminURL else { throw NotConfigured() }
        return adminURL
    }

    /// A new, empty database on the test server.
    package static func createDatabase() async throws -> PostgresLocation {
        var location = try PostgresLocation(url: try requireAdminURL())
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withAdminConnection(location) { connection in
            // A database name cannot be a bound parameter; this one is made of [t_0-9a-f] only.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test-postgres"))
        }
        location.database = name
        return location
    }

    /// A new, empty database reached through a proxy that a test can freeze (a server that hangs).
    package static func createDatabaseBehindProxy() async throws -> (location: PostgresLocation, proxy: FreezableProxy) {
        var location = try await createDatabase()
        let proxy = try await FreezableProxy(targetPort: location.port)
        location.host = "127.0.0.1"
        location.port = proxy.port
        return (location, proxy)
    }

    package static func withAdminConnection(_ location: PostgresLocation, _ body: (PostgresConnection) async throws -> Void) async throws {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: Logger(label: "test-postgres"))
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

extension PostgresLocation {
    /// The location as a DATABASE_URL (test servers trust loopback, so no password).
    package var url: String { "postgresql://\(username)@\(host):\(port)/\(database)" }
}
