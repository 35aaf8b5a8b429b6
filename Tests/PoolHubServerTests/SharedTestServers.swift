import Foundation
import Logging
import PoolHubStore
import PostgresNIO

/// The throwaway PostgreSQL and Redis that `scripts/test.sh` starts for its second pass. When both
/// are named, every `TestHub` runs on them instead of SQLite and in-process state.
enum SharedTestServers {
    static let postgresURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_POSTGRES_URL"]
    static let redisURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_REDIS_URL"]
    static var enabled: Bool { postgresURL != nil && redisURL != nil }

    /// The settings of a hub with its own fresh database and Redis namespace on the test servers.
    static func freshEnvironment() async throws -> [String: String] {
        guard let postgresURL, let redisURL else { return [:] }
        let location = try PostgresLocation(url: postgresURL)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let logger = Logger(label: "test-db")
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return [
            "DATABASE_URL": "postgresql://\(location.username)@\(location.host):\(location.port)/\(name)",
            "REDIS_URL": redisURL,
            "REDIS_NAMESPACE": name,
            // Tests run in parallel on two cores: a first connection may take longer than in production.
            "DATABASE_TIMEOUT_SECONDS": "30",
        ]
    }
}
