import Foundation
import Logging
import PoolHubCore
import PoolHubStore
import PostgresNIO
import PoolHubTestSupport
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
