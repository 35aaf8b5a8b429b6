// A miner's standing in storage.

import Foundation
import PoolHubCore

/// A miner's standing in storage: `suspended_until` in epoch seconds (NULL: never suspended), the last
/// suspension's length and the probation results left, the same in both dialects.
enum StoredStanding {
    static func suspendedUntil(_ standing: Standing) -> Double? {
        standing.suspendedUntil == .distantPast ? nil : standing.suspendedUntil.timeIntervalSince1970
    }

    static func standing(suspendedUntil: Double?, suspensionSeconds: Double, probationJobsLeft: Int) -> Standing {
        Standing(
            suspendedUntil: suspendedUntil.map(Date.init(timeIntervalSince1970:)) ?? .distantPast, suspensionSeconds: suspensionSeconds,
            probationJobsLeft: probationJobsLeft)
    }
}
