// Heartbeats announced in batches.

import PoolHubCore
import Synchronization

/// Heartbeats waiting to be announced: each miner's latest status since the last batch went out.
struct HeartbeatOutbox: Sendable {
    private var waiting: [MinerAddress: LiveStatus] = [:]
    private var sending = false

    /// Takes a heartbeat; true when no batch is on its way, so the caller starts sending.
    mutating func add(_ status: LiveStatus, of address: MinerAddress) -> Bool {
        if waiting[address].map({ $0.lastHeartbeatAt <= status.lastHeartbeatAt }) ?? true { waiting[address] = status }
        defer { sending = true }
        return !sending
    }

    /// The next batch, at most `limit` heartbeats; nil, and no batch on its way, when nothing waits.
    mutating func next(atMost limit: Int) -> [MinerAddress: LiveStatus]? {
        guard !waiting.isEmpty else {
            sending = false
            return nil
        }
        guard waiting.count > limit else {
            defer { waiting = [:] }
            return waiting
        }
        var batch: [MinerAddress: LiveStatus] = [:]
        for (address, status) in waiting.prefix(limit) { batch[address] = status }
        for address in batch.keys { waiting[address] = nil }
        return batch
    }
}

extension SharedFleet {
    /// Most heartbeats one announcement carries.
    static let heartbeatsPerAnnouncement = 1_000

    /// Sends the waiting heartbeats until none wait: each miner's key with the heartbeat TTL, and one
    /// announcement for many. What arrives while a batch is on its way goes out with the next, so under
    /// load one round trip to Redis (and one message to each instance) carries many heartbeats.
    func announceHeartbeats() async {
        let ttl = String(Int((local.policy.heartbeat.ttl * 1000).rounded(.up)))
        while let batch = heartbeats.withLock({ $0.next(atMost: Self.heartbeatsPerAnnouncement) }) {
            // Each status is written once, for its key's value (an event of one) and for the batch's event.
            var keys: [[String]] = []
            var lines: [String] = []
            keys.reserveCapacity(batch.count)
            lines.reserveCapacity(batch.count)
            for (address, status) in batch {
                let line = Wire.status(of: address, status)
                lines.append(line)
                keys.append(["SET", "\(namespace):hb:\(address)", FleetEvent.encodedStatus([line], origin: origin), "PX", ttl])
            }
            await announce(keys, payload: FleetEvent.encodedStatus(lines, origin: origin))
        }
    }
}
