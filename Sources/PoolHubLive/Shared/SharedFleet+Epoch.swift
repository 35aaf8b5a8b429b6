// Redis's epoch: noticing that Redis lost its data, and writing back the live reservations before any new claim.

import Foundation
import Logging
import PoolHubCore
import RESP
import Synchronization

extension SharedFleet {
    var epochKey: String { namespace + ":epoch" }

    /// Makes this instance's live reservations part of Redis's current epoch: when Redis has no epoch (it lost its
    /// data) a new one is declared with a recovery window in which every claim is refused; when the epoch is not
    /// the one this instance knows, its reservations are written back. Idempotent; throws when Redis does not answer.
    func restoreEpoch() async throws {
        let now = clock.now()
        let known = epoch.withLock { $0 }
        var arguments = [
            namespace, known, ReservationID.random().description, String(Int(recoveryWindow.inMilliseconds)), Wire.time(now), origin,
        ]
        let reservations = local.liveReservations(at: now)
        for reservation in reservations {
            let ttl = max(1, Int((reservation.expiresAt.timeIntervalSince(now) * 1000).rounded(.up)))
            arguments += [reservation.id.description, Wire.record(of: reservation), String(ttl)]
        }
        let reply = try await redis.run(FleetScripts.restore, keys: [], arguments: arguments)
        guard let current = reply.string else { throw RedisError.protocolViolation("unexpected reply to the epoch restore: \(reply)") }
        epoch.withLock { $0 = current }
        if current != known {
            let metadata: Logger.Metadata = ["epoch": "\(current)", "reservations": "\(reservations.count)"]
            if known.isEmpty {
                logger.info("joined Redis's epoch", metadata: metadata)
            } else {
                logger.warning("Redis lost its data (a new epoch): wrote back this instance's live reservations", metadata: metadata)
            }
        }
    }

    /// Checks Redis's epoch every `interval` until the task is cancelled, so that an instance that is not
    /// matching (or whose connection survived a flush) still writes its reservations back within the recovery window.
    package func watchEpoch(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do {
                let current = try await redis.send(["GET", epochKey]).string
                if current != epoch.withLock({ $0 }) { try await restoreEpoch() }
            } catch {
                // Redis is down: the reconnect's reload restores the epoch first.
            }
            try? await Task.sleep(for: interval)
        }
    }
}
