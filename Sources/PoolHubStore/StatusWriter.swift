import Foundation
import PoolHubCore
import Synchronization

/// Group commit for heartbeats: the statuses saved while one write is in flight go together in the
/// next, so a busy fleet costs one statement per round trip instead of one per heartbeat. Each caller
/// still returns only once its row is stored (or superseded by a newer heartbeat of the same miner).
final class StatusWriter: Sendable {
    struct Entry: Sendable {
        let address: MinerAddress
        let status: LiveStatus
        let uptime: UptimeLedger
        let onlineUntil: Date
    }

    private struct Waiting {
        var entry: Entry
        var done: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    /// Rows per statement (11 parameters each, far below PostgreSQL's 65,535).
    static let batchLimit = 500
    private let state = Mutex(State())

    /// Queues `entry` and waits for the write that carries it; the first waiter of an idle writer starts it.
    func save(_ entry: Entry, with write: @escaping @Sendable ([Entry]) async throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let leads = state.withLock { s -> Bool in
                s.queue.append(Waiting(entry: entry, done: done))
                guard !s.writing else { return false }
                s.writing = true
                return true
            }
            if leads { Task { await self.drain(with: write) } }
        }
    }

    private func drain(with write: @Sendable ([Entry]) async throws -> Void) async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let batch = Array(s.queue.prefix(Self.batchLimit))
                s.queue.removeFirst(batch.count)
                if batch.isEmpty { s.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            // One row per miner, its newest heartbeat: a statement may not update a row twice.
            var newest: [MinerAddress: Entry] = [:]
            for waiting in batch {
                let entry = waiting.entry
                if let kept = newest[entry.address], kept.status.lastHeartbeatAt > entry.status.lastHeartbeatAt { continue }
                newest[entry.address] = entry
            }
            do {
                try await write(Array(newest.values))
                for waiting in batch { waiting.done.resume() }
            } catch {
                for waiting in batch { waiting.done.resume(throwing: error) }
            }
        }
    }
}
