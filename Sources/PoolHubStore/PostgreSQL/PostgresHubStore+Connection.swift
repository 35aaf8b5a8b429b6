// Leasing PostgreSQL connections with bounded waits; outages told apart from SQL errors.

import PoolHubCore
import PostgresNIO
import Synchronization

extension PostgresHubStore {
    /// Runs `body` on a pooled connection, answering (its result, or `StoreError.unavailable`) in bounded time.
    ///
    /// While PostgreSQL is down the pool keeps retrying to connect and a lease would wait for up to a
    /// minute (its circuit breaker); callers need an answer sooner, so waiting longer than
    /// `connectionWait` for a connection throws `StoreError.unavailable` — unless the server answered
    /// the last lease, when the pool is only busy and a caller waits its turn. Whatever happens, a request
    /// gets its answer by its `StoreDeadline`, other work within `backgroundLimit`: a query written to a
    /// connection that is closing is never answered by postgres-nio, so the work runs in a task of its own
    /// that is abandoned (and cancelled) when the time is up, rather than awaited.
    func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let lease = LeaseFlag()
        let outcome = FirstAnswer<Result>()
        let start = ContinuousClock.now
        let end = StoreDeadline.current ?? start + backgroundLimit
        let wait = connectionWait
        let work = Task {
            do {
                let result = try await self.client.withConnection { connection in
                    lease.leased.store(true, ordering: .releasing)
                    guard !connection.isClosed else { throw StoreError.unavailable("the connection was closed") }
                    self.lastLease.store(self.nanoseconds(since: self.epoch), ordering: .relaxed)
                    return try await body(connection)
                }
                outcome.finish(.success(result))
            } catch {
                outcome.finish(.failure(Self.classify(error, leased: lease.leased.load(ordering: .acquiring))))
            }
        }
        let timer = Task {
            func giveUp(_ reason: String) {
                if outcome.finish(.failure(StoreError.unavailable(reason))) { work.cancel() }
            }
            while !outcome.isFinished {
                let now = ContinuousClock.now
                guard now < end else {
                    return giveUp("no answer from PostgreSQL within \(now - start)")
                }
                if !lease.leased.load(ordering: .acquiring), now - start >= wait {
                    let sinceLease = self.nanoseconds(since: self.epoch) - self.lastLease.load(ordering: .relaxed)
                    guard sinceLease < wait.inNanoseconds else {
                        return giveUp("no connection to PostgreSQL within \(wait)")
                    }
                }
                let nextCheck = now - start < wait ? min(start + wait, end) : min(now + .milliseconds(100), end)
                try? await Task.sleep(until: nextCheck, clock: .continuous)
                if Task.isCancelled { return }
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value
        } onCancel: {
            if outcome.finish(.failure(CancellationError())) { work.cancel() }
        }
    }

    func nanoseconds(since start: ContinuousClock.Instant) -> Int64 { (ContinuousClock.now - start).inNanoseconds }

    /// Runs `body` inside one transaction (postgres-nio's): committed when it returns, rolled back
    /// when it throws. The error that ended it comes out as itself, so an outage is still told apart.
    func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: self.logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Lost connections become `StoreError.unavailable`; errors the server reported about SQL stay as they are.
    static func classify(_ error: any Error, leased: Bool) -> any Error {
        switch error {
        case is StoreError, is CancellationError:
            return error
        case let error as PSQLError:
            return unavailableReason(error).map(StoreError.unavailable) ?? error
        default:
            // Anything failing the lease itself (e.g. the pool's circuit breaker) means no connection.
            return leased ? error : StoreError.unavailable("cannot connect to PostgreSQL: \(error)")
        }
    }

    /// Why `error` means the database cannot be reached; nil for other errors.
    static func unavailableReason(_ error: PSQLError) -> String? {
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler:
            let underlying = error.underlying.map { ": \($0)" } ?? ""
            return "\(error.code)\(underlying)"
        case .server:
            // Class 08 is "connection exception"; 57P01-03 are shutdowns and a server still starting.
            let state = error.serverInfo?[.sqlState] ?? ""
            guard state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) else { return nil }
            return "\(state) \(error.serverInfo?[.message] ?? "")"
        default:
            return nil
        }
    }
}

/// Whether a connection was leased yet: written by the lease, read by the timer racing it.
private final class LeaseFlag: Sendable {
    let leased = Atomic<Bool>(false)
}
