// The scheduler lock as a PostgreSQL advisory lock.

package import Logging
import PostgresNIO
import Synchronization

/// A PostgreSQL session-level advisory lock held on one dedicated connection.
///
/// The connection is not from a pool so that the session, and so the lock, lives exactly as long as this
/// holder keeps it. When the holding process dies PostgreSQL frees the lock at once, and another
/// instance takes it within one `retryInterval`.
package final class PostgresSchedulerLock: SchedulerLock {
    /// The default key, distinct from the store's migration lock.
    package static let defaultKey: Int64 = 0x506F_6F6C_4875_6253  // "PoolHubS"

    private let location: PostgresLocation
    private let key: Int64
    private let retryInterval: Duration
    /// How long a check may take before the session counts as lost.
    private let answerWait: Duration
    private let logger: Logger
    private let held = Atomic<Bool>(false)

    package init(
        location: PostgresLocation, key: Int64 = PostgresSchedulerLock.defaultKey, retryInterval: Duration = .seconds(2),
        logger: Logger
    ) {
        self.location = location
        self.key = key
        self.retryInterval = retryInterval
        self.answerWait = max(retryInterval, .seconds(3))
        self.logger = logger
    }

    package var isHeld: Bool { held.load(ordering: .acquiring) }

    package func run() async {
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let configuration = try location.connectionConfiguration(connectTimeout: answerWait)
                let connection = try await PostgresConnection.connect(configuration: configuration, id: attempt, logger: logger)
                await hold(on: connection)
                try? await connection.close()
            } catch {
                logger.debug("scheduler lock: cannot connect", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: retryInterval)
        }
    }

    /// Takes the lock when free and keeps checking the session; returns when it fails or on cancellation,
    /// with `isHeld` already false.
    private func hold(on connection: PostgresConnection) async {
        defer { held.store(false, ordering: .releasing) }
        do {
            while !Task.isCancelled {
                if isHeld {
                    _ = try await answer(connection, "SELECT true")
                } else if try await answer(connection, "SELECT pg_try_advisory_lock(\(key))") {
                    held.store(true, ordering: .releasing)
                    logger.info("scheduler lock taken: this instance runs the schedulers")
                }
                try await Task.sleep(for: retryInterval)
            }
        } catch is CancellationError {
        } catch {
            if isHeld { logger.warning("scheduler lock lost", metadata: ["error": "\(String(reflecting: error))"]) }
            return
        }
        // Cancelled: stop claiming here; closing the session (in `run`) frees the lock for the next instance.
        if isHeld { logger.info("scheduler lock released") }
    }

    /// The boolean answer of `query`, or an error when it takes longer than `answerWait`:
    /// a silent server must not leave this instance believing it still holds the lock.
    private func answer(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> Bool {
        // A query written to an already closed connection is never answered (postgres-nio drops it): so ask only
        // an open connection, and when it stays silent close it and abandon the query rather than await it.
        guard !connection.isClosed else { throw StoreError.unavailable("the lock's connection is closed") }
        let answer = FirstAnswer<Bool>()
        let logger = logger
        let work = Task {
            do {
                let rows = try await connection.query(query, logger: logger).collect()
                answer.finish(.success(try rows.first?.decode(Bool.self) ?? false))
            } catch {
                answer.finish(.failure(error))
            }
        }
        let wait = answerWait
        let timer = Task {
            guard (try? await Task.sleep(for: wait)) != nil else { return }
            if answer.finish(.failure(StoreError.unavailable("PostgreSQL did not answer within \(wait)"))) {
                work.cancel()
                try? await connection.close()
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await answer.value
        } onCancel: {
            if answer.finish(.failure(CancellationError())) { work.cancel() }
        }
    }
}
