import Foundation
import PoolHubStore
import PoolHubTestSupport

/// The throwaway PostgreSQL and Redis that `scripts/test.sh` starts for its second pass. When both
/// are named, every `TestHub` runs on them instead of SQLite and in-process state.
enum SharedTestServers {
    static let redisURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_REDIS_URL"]
    static var enabled: Bool { TestPostgres.isConfigured && redisURL != nil }

    /// The settings of a hub with its own fresh database and Redis namespace on the test servers.
    static func freshEnvironment() async throws -> [String: String] {
        guard enabled, let redisURL else { return [:] }
        let location = try await TestPostgres.createDatabase()
        return [
            "DATABASE_URL": location.url,
            "REDIS_URL": redisURL,
            "REDIS_NAMESPACE": location.database,
            // Tests run in parallel on two cores: a first connection may take longer than in production.
            "DATABASE_TIMEOUT_SECONDS": "30",
            // A fresh namespace has no epoch yet: without this every test's first reserving match would wait out the
            // recovery window (the outage tests set their own).
            "REDIS_RECOVERY_SECONDS": "0",
        ]
    }
}
