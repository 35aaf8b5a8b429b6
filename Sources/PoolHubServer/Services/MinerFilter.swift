// Which miners a listing shows.

import Foundation
import PoolHubCore

/// Which miners a listing shows: by model, region, whether online and whether cordoned; nil admits any.
struct MinerFilter: Sendable {
    var model: String?
    var region: String?
    var online: Bool?
    var cordoned: Bool? = nil
    /// Only addresses after this one (the page cursor).
    var after: String?

    func admits(_ m: FleetMember, heartbeat: HeartbeatPolicy, at now: Date) -> Bool {
        (model.map { m.miner.capabilities.models.contains($0) } ?? true)
            && (region.map { m.miner.region == $0 } ?? true)
            && (online.map { heartbeat.isOnline(lastHeartbeatAt: m.status?.lastHeartbeatAt, graceUntil: m.graceUntil, at: now) == $0 }
                ?? true)
            && (cordoned.map { m.isCordoned == $0 } ?? true)
    }
}
