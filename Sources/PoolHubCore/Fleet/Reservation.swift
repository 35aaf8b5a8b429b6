// A slot held on a miner for a job, and its unpredictable id.

package import Foundation

/// 128 random bits from the system's secure generator (`SecureRandom`), written as 32 hex digits:
/// knowing one id tells nothing about another.
package struct ReservationID: Hashable, Sendable, CustomStringConvertible {
    package let high: UInt64
    package let low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    package init?(_ text: String) {
        guard text.utf8.count == 32, let h = UInt64(text.prefix(16), radix: 16), let l = UInt64(text.suffix(16), radix: 16)
        else { return nil }
        self.init(high: h, low: l)
    }

    package static func random(using random: inout SecureRandom) -> ReservationID {
        ReservationID(high: random.next(), low: random.next())
    }

    /// One id, for a caller that keeps no generator of its own.
    package static func random() -> ReservationID {
        var random = SecureRandom()
        return .random(using: &random)
    }

    package var description: String { Self.hex(high) + Self.hex(low) }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.utf8.count) + s
    }
}

/// One slot held on a miner for a job until its result, an explicit release, or expiry.
package struct Reservation: Sendable, Equatable {
    package var id: ReservationID
    package var address: MinerAddress
    package var jobID: String?
    package var createdAt: Date
    package var expiresAt: Date

    package init(id: ReservationID, address: MinerAddress, jobID: String?, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.address = address
        self.jobID = jobID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    package func isLive(at now: Date) -> Bool { now < expiresAt }
}
