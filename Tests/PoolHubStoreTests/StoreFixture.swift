import Foundation
import Logging
import PoolHubCore
import PoolHubStore
import PostgresNIO
import Testing

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func sampleMiner(_ address: String = "0xabc", gpuMemory: Int? = 16_384) -> Miner {
    Miner(
        address: MinerAddress(address)!, endpoint: "http://miner.example.com:8080",
        capabilities: MinerCapabilities(models: ["llama3.2", "mistral"], gpuMemory: gpuMemory, maxConcurrentJobs: 4),
        stake: 10_000, region: "eu-west", tags: ["gpu": "RTX 4090"], registeredAt: t0)
}

let credential = MinerCredential(salt: [1, 2, 3], digest: [9, 8, 7])

let testLogger: Logger = {
    var logger = Logger(label: "poolhub.store.tests")
    logger.logLevel = .critical
    return logger
}()

/// The databases the shared behaviour runs against: SQLite always, PostgreSQL when a server is given.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [Backend] { TestPostgres.adminURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A fresh, empty database of this kind for one test.
    func makeDatabase() async throws -> TestDatabase {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("poolhub-store-\(UUID().uuidString)/hub.sqlite").path
            return .sqlite(path: path)
        case .postgres:
            return .postgres(try await TestPostgres.createDatabase())
        }
    }
}

/// One test's database; each `withStore` opens a new store instance on it, as a new hub process would.
enum TestDatabase: Sendable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    func withStore<Result>(_ body: (any HubStore) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite(let path):
            return try await body(try SQLiteHubStore(path: path))
        case .postgres(let location):
            // A generous wait: tests run in parallel on two cores, and a first connection can be slow.
            let store = PostgresHubStore(location: location, connectionWait: .seconds(30), logger: testLogger)
            return try await withRunning(store) { try await body(store) }
        }
    }
}

/// Runs `store`'s pool for the duration of `body`.
func withRunning<Result>(_ store: PostgresHubStore, _ body: () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// The PostgreSQL server named by `POOLHUB_TEST_POSTGRES_URL` (an admin URL such as
/// postgresql://pgci@127.0.0.1:55432/postgres); every test gets its own database on it.
enum TestPostgres {
    static let adminURL = ProcessInfo.processInfo.environment["POOLHUB_TEST_POSTGRES_URL"]
    static var isConfigured: Bool { adminURL != nil }

    static func createDatabase() async throws -> PostgresLocation {
        var location = try PostgresLocation(url: try #require(adminURL))
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withAdminConnection(location) { connection in
            // A database name cannot be a bound parameter; this one is made of [t_0-9a-f] only.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
        }
        location.database = name
        return location
    }

    static func withAdminConnection(_ location: PostgresLocation, _ body: (PostgresConnection) async throws -> Void) async throws {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: testLogger)
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

/// Polls `condition` until it holds or `deadline` passes; true when it held.
func eventually(within deadline: Duration, every step: Duration = .milliseconds(20), _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: step)
    }
    return await condition()
}
