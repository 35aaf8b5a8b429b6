// Group commit of heartbeats.

import Foundation
import PoolHubCore

/// Heartbeats waiting for their write: the newest status of each miner, since a statement may not
/// update one row twice and an older heartbeat never overwrites a newer one.
struct StatusBatch: CommitBatch {
    private(set) var newest: [MinerAddress: StatusUpdate] = [:]

    var isEmpty: Bool { newest.isEmpty }

    mutating func add(_ entry: StatusUpdate) {
        if let kept = newest[entry.address], kept.status.lastHeartbeatAt > entry.status.lastHeartbeatAt { return }
        newest[entry.address] = entry
    }

    mutating func restore(_ failed: StatusBatch) {
        for entry in failed.newest.values { add(entry) }
    }

    /// The rows in statements of at most `rowsPerStatement` (11 parameters each, far below PostgreSQL's 65,535).
    var statements: [ArraySlice<StatusUpdate>] {
        let rows = Array(newest.values)
        return stride(from: 0, to: rows.count, by: Self.rowsPerStatement).map { rows[$0..<min(rows.count, $0 + Self.rowsPerStatement)] }
    }

    static let rowsPerStatement = 500
}

/// Group commit for heartbeats: a failed write fails the heartbeats it carried (they answer 503).
typealias StatusWriter = GroupCommit<StatusBatch>
