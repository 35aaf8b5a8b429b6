// Following the other instances' changes, and reloading after a Redis outage.

import Foundation
import Logging
import PoolHubCore
import RESP
import Synchronization

extension SharedFleet {
    /// Applies what the other instances announce, until the task is cancelled. Announcements are not
    /// stored, so after every (re)subscription the whole fleet is read again from storage and Redis.
    package func follow() async {
        caughtUp.withLock { $0 = $0 ?? false }
        for await event in redis.subscribe(to: [events], skipping: FleetEvent.isOwnNews(of: origin)) {
            switch event {
            case .subscribed:
                await reload()
                caughtUp.withLock { $0 = true }
            case .message(_, let payload):
                await apply(payload)
            case .disconnected(let reason):
                logger.warning("lost the Redis change feed; reloading when it returns", metadata: ["reason": "\(reason)"])
            }
        }
    }

    /// Reads the fleet from storage, then from Redis the live heartbeats (newer than storage's when
    /// PostgreSQL missed some), the live reservations and the score cache.
    ///
    /// This instance keeps serving meanwhile, so nothing it takes during the reads is lost: the view keeps
    /// newer statuses and statistics and the miners storage did not have yet (`InProcessFleet.reload`), and
    /// the miners whose registration or cordon changed here are read again from storage afterwards.
    func reload() async {
        changedDuringReload.withLock { $0 = [] }
        defer { changedDuringReload.withLock { $0 = nil } }
        var attempt = 0
        while !Task.isCancelled {
            do {
                // First into Redis's epoch: if Redis lost its data, this instance's reservations go back before
                // the reload below replaces its view with Redis's.
                try await restoreEpoch()
                let members = try await source.fleet()
                let reservations = try await liveReservations()
                let beats = try await liveHeartbeats(of: members.filter(\.isListed).map(\.miner.address))
                local.reload(members, at: clock.now())
                for (address, status) in beats { _ = local.recordStatus(status, of: address) }
                for reservation in reservations { local.mirror(reservation) }
                for address in changedDuringReload.withLock({ $0.take() ?? [] }) { await refresh(address) }
                await loadScoreCache()
                logger.info("fleet reloaded", metadata: ["miners": "\(members.count)", "reservations": "\(reservations.count)"])
                return
            } catch {
                attempt += 1
                logger.warning("could not reload the fleet; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .milliseconds(min(2000, 100 * attempt)))
            }
        }
    }

    func apply(_ payload: String) async {
        guard let (sender, event) = FleetEvent.decode(payload) else {
            logger.warning("ignored an unreadable change announcement", metadata: ["payload": "\(payload.prefix(200))"])
            return
        }
        let now = clock.now()
        switch event {
        case .reserved, .released:
            // Our own too: a reload in between may have dropped a slot we took (mirroring is idempotent).
            break
        default:
            guard sender != origin else { return }
        }
        switch event {
        case .miner(let address): await refresh(address)
        case .status(let statuses): for (address, status) in statuses { _ = local.recordStatus(status, of: address) }
        case .stats(let address, let stats): local.takeStats(stats, of: address, at: now)
        case .reserved(let reservation): local.mirror(reservation)
        case .released(let id, _): local.forget(id)
        case .scores: await loadScoreCache()
        }
    }

    /// Reads a miner again from storage, after its registration or cordon changed.
    private func refresh(_ address: MinerAddress) async {
        do {
            guard let stored = try await source.member(address) else { return }
            // A deregistration also frees the miner's slots in this instance's view.
            if let gone = stored.deregisteredAt { local.deregister(address, at: gone) }
            local.merge(stored: stored)
        } catch {
            logger.warning("could not read a changed miner", metadata: ["miner": "\(address)", "error": "\(error)"])
        }
    }

    private func loadScoreCache() async {
        do {
            let flat = try await redis.send(["HGETALL", scoreCache]).array ?? []
            var cards: [(address: MinerAddress, card: ScoreCard)] = []
            cards.reserveCapacity(flat.count / 2)
            for i in stride(from: 0, to: flat.count - 1, by: 2) {
                if let address = flat[i].string.flatMap(MinerAddress.init), let card = flat[i + 1].string.flatMap(Wire.card) {
                    cards.append((address, card))
                }
            }
            local.takeCards(cards)
        } catch {
            logger.warning("could not read the score cache", metadata: ["error": "\(error)"])
        }
    }

    /// The heartbeats Redis still holds (each key lives one heartbeat TTL).
    private func liveHeartbeats(of addresses: [MinerAddress]) async throws -> [(MinerAddress, LiveStatus)] {
        var beats: [(MinerAddress, LiveStatus)] = []
        for chunk in stride(from: 0, to: addresses.count, by: 1_000) {
            let keys = addresses[chunk..<min(addresses.count, chunk + 1_000)].map { "\(namespace):hb:\($0)" }
            for value in try await redis.send(["MGET"] + keys).array ?? [] {
                if let text = value.string, case .status(let statuses)? = FleetEvent.decode(text)?.event {
                    beats += statuses.map { ($0.key, $0.value) }
                }
            }
        }
        return beats
    }

    private func liveReservations() async throws -> [Reservation] {
        let now = clock.now()
        var found: [Reservation] = []
        var cursor = "0"
        repeat {
            let page = try await redis.send(["SCAN", cursor, "MATCH", "\(namespace):res:*", "COUNT", "1000"]).array ?? []
            guard page.count == 2, let next = page[0].string else { break }
            cursor = next
            let keys = (page[1].array ?? []).compactMap(\.string)
            guard !keys.isEmpty else { continue }
            let records = try await redis.send(["MGET"] + keys).array ?? []
            for (key, record) in zip(keys, records) {
                guard let id = ReservationID(String(key.dropFirst(namespace.count + 5))), let text = record.string,
                    let reservation = Wire.reservation(id, record: text), reservation.isLive(at: now)
                else { continue }
                found.append(reservation)
            }
        } while cursor != "0"
        return found
    }
}
