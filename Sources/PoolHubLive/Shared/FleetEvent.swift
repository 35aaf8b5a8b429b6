// The changes instances announce to each other, and their wire form.

import Foundation
import NIOCore
import PoolHubCore

/// A change one hub instance announces to the others on the shared state's channel.
///
/// Wire form: lines `origin`, `kind`, then the fields; a job id may hold newlines, so it is always last.
/// The Lua scripts write `reserved` and `released` themselves, in the same form.
enum FleetEvent: Equatable, Sendable {
    /// A registration, profile change or deregistration: read the miner again from storage.
    case miner(MinerAddress)
    /// The live status of one miner (a heartbeat key's value) or of several (heartbeats announced in a batch).
    case status([MinerAddress: LiveStatus])
    case stats(MinerAddress, MinerStats)
    case reserved(Reservation)
    case released(ReservationID, MinerAddress)
    /// The score cache was refreshed.
    case scores

    func encoded(origin: String) -> String {
        let fields: [String] =
            switch self {
            case .miner(let address): ["miner", address.value]
            case .status(let statuses): ["status"] + statuses.map { Wire.status(of: $0, $1) }
            case .stats(let address, let s):
                [
                    "stats", address.value, Wire.number(s.completed), Wire.number(s.failed), Wire.number(s.responseTimeSumMs),
                    Wire.number(s.responseTimeCount), Wire.time(s.decayedAt), String(s.jobsCompleted), String(s.jobsFailed),
                    String(s.version), Wire.time(s.standing.suspendedUntil), Wire.number(s.standing.suspensionSeconds),
                    String(s.standing.probationJobsLeft),
                ]
            case .reserved(let r): ["reserved", r.id.description, Wire.record(of: r)]
            case .released(let id, let address): ["released", id.description, address.value]
            case .scores: ["scores"]
            }
        return ([origin] + fields).joined(separator: "\n")
    }

    /// A `status` event, as `encoded` writes it, of statuses already in their wire form (`Wire.status`): a
    /// heartbeat batch writes each status once, for its key and for the batch.
    static func encodedStatus(_ lines: [String], origin: String) -> String {
        ([origin, "status"] + lines).joined(separator: "\n")
    }

    /// Whether a payload is an announcement of `origin`'s own that it need not read back: all but its
    /// reservations and releases (see `SharedFleet.apply`). Judged on the bytes, before anything is decoded.
    static func isOwnNews(of origin: String) -> @Sendable (ByteBuffer) -> Bool {
        let own = Array((origin + "\n").utf8)
        let kept = ["reserved\n", "released\n"].map { Array($0.utf8) }
        return { payload in
            let bytes = payload.readableBytesView
            guard bytes.starts(with: own) else { return false }
            let kind = bytes.dropFirst(own.count)
            return !kept.contains { kind.starts(with: $0) }
        }
    }

    static func decode(_ text: String) -> (origin: String, event: FleetEvent)? {
        let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2 else { return nil }
        let origin = String(lines[0])
        let rest = lines.count == 3 ? String(lines[2]) : ""
        let event: FleetEvent?
        switch lines[1] {
        case "scores": event = .scores
        case "miner": event = MinerAddress(rest).map { .miner($0) }
        case "reserved":
            let parts = rest.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            event =
                parts.count == 2
                ? ReservationID(String(parts[0])).flatMap { Wire.reservation($0, record: String(parts[1])) }.map { .reserved($0) } : nil
        case "released":
            let parts = rest.split(separator: "\n", omittingEmptySubsequences: false)
            guard parts.count == 2, let id = ReservationID(String(parts[0])), let address = MinerAddress(String(parts[1])) else { return nil }
            event = .released(id, address)
        case "status":
            let f = rest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard !f.isEmpty, f.count % 6 == 0 else { return nil }
            var statuses: [MinerAddress: LiveStatus] = [:]
            for k in stride(from: 0, to: f.count, by: 6) {
                guard let address = MinerAddress(f[k]), let load = Int(f[k + 2]), let beat = Wire.date(f[k + 5]) else { return nil }
                statuses[address] = LiveStatus(
                    available: f[k + 1] == "1", currentLoad: load, gpuUtilization: Double(f[k + 3]), temperature: Double(f[k + 4]),
                    lastHeartbeatAt: beat)
            }
            event = .status(statuses)
        case "stats":
            let f = rest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // Nine fields from an instance older than standings (read as good standing), twelve since.
            guard f.count == 9 || f.count == 12, let address = MinerAddress(f[0]), let completed = Double(f[1]),
                let failed = Double(f[2]), let sum = Double(f[3]), let count = Double(f[4]), let decayedAt = Wire.date(f[5]),
                let done = Int(f[6]), let lost = Int(f[7]), let version = Int(f[8])
            else { return nil }
            var standing = Standing.good
            if f.count == 12 {
                guard let until = Wire.date(f[9]), let seconds = Double(f[10]), let left = Int(f[11]) else { return nil }
                standing = Standing(suspendedUntil: until, suspensionSeconds: seconds, probationJobsLeft: left)
            }
            event = .stats(
                address,
                MinerStats(
                    completed: completed, failed: failed, responseTimeSumMs: sum, responseTimeCount: count, decayedAt: decayedAt,
                    jobsCompleted: done, jobsFailed: lost, version: version, standing: standing))
        default: event = nil
        }
        return event.map { (origin, $0) }
    }
}

/// How values are written in the shared state: times as epoch seconds, numbers in Swift's round-trip form.
enum Wire {
    static func number(_ value: Double) -> String { "\(value)" }
    static func time(_ date: Date) -> String { "\(date.timeIntervalSince1970)" }
    static func date(_ text: String) -> Date? { Double(text).map(Date.init(timeIntervalSince1970:)) }

    /// One miner's live status in a `status` event: six fields.
    static func status(of address: MinerAddress, _ s: LiveStatus) -> String {
        [
            address.value, s.available ? "1" : "0", String(s.currentLoad), s.gpuUtilization.map(number) ?? "",
            s.temperature.map(number) ?? "", time(s.lastHeartbeatAt),
        ].joined(separator: "\n")
    }

    /// A reservation as the Lua scripts store it: address, created, expires, job ('' for none).
    static func record(of r: Reservation) -> String {
        [r.address.value, time(r.createdAt), time(r.expiresAt), r.jobID ?? ""].joined(separator: "\n")
    }

    static func reservation(_ id: ReservationID, record: String) -> Reservation? {
        let f = record.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard f.count == 4, let address = MinerAddress(f[0]), let created = date(f[1]), let expires = date(f[2]) else { return nil }
        return Reservation(id: id, address: address, jobID: f[3].isEmpty ? nil : f[3], createdAt: created, expiresAt: expires)
    }

    /// A score card in the score cache: the four terms' values and weights, the expected time, max score, time.
    static func card(_ c: ScoreCard) -> String {
        [
            c.successRate.value, c.successRate.weight, c.latency.value, c.latency.weight, c.availability.value, c.availability.weight,
            c.reputation.value, c.reputation.weight, c.expectedResponseTimeMs, c.maxScore, c.computedAt.timeIntervalSince1970,
        ].map(number).joined(separator: " ")
    }

    static func card(_ text: String) -> ScoreCard? {
        let v = text.split(separator: " ").compactMap { Double($0) }
        guard v.count == 11 else { return nil }
        return ScoreCard(
            successRate: .init(value: v[0], weight: v[1]), latency: .init(value: v[2], weight: v[3]),
            availability: .init(value: v[4], weight: v[5]), reputation: .init(value: v[6], weight: v[7]),
            expectedResponseTimeMs: v[8], maxScore: v[9], computedAt: Date(timeIntervalSince1970: v[10]))
    }
}
