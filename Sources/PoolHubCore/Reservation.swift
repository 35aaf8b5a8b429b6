public import Foundation

/// 128 random bits, written as 32 hex digits.
public struct ReservationID: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(_ text: String) {
        guard text.utf8.count == 32, let h = UInt64(text.prefix(16), radix: 16), let l = UInt64(text.suffix(16), radix: 16)
        else { return nil }
        self.init(high: h, low: l)
    }

    public var description: String { Self.hex(high) + Self.hex(low) }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.utf8.count) + s
    }
}

/// One slot held on a miner for a job until its result, an explicit release, or expiry.
public struct Reservation: Sendable, Equatable {
    public var id: ReservationID
    public var address: MinerAddress
    public var jobID: String?
    public var createdAt: Date
    public var expiresAt: Date

    public init(id: ReservationID, address: MinerAddress, jobID: String?, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.address = address
        self.jobID = jobID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    public func isLive(at now: Date) -> Bool { now < expiresAt }
}
