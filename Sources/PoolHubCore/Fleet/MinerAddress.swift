// A miner's identity (its address).

/// A miner's identity: 1..128 chars of `[A-Za-z0-9._:-]`; `0x` hex addresses compare lower-cased.
package struct MinerAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let value: String

    /// Returns nil when `raw` is not a valid address.
    package init?(_ raw: String) {
        let bytes = raw.utf8
        guard (1...128).contains(bytes.count), bytes.allSatisfy(Self.isAllowed) else { return nil }
        value = Self.isHex(raw) ? raw.lowercased() : raw
    }

    package var description: String { value }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: ":"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isHex(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "X")
        else { return false }
        return bytes.dropFirst(2).allSatisfy { $0.isHexDigit }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
