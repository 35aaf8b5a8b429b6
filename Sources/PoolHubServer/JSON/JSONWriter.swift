// Writing JSON straight into bytes (the match, heartbeat and miner answers).

import Foundation

/// Writes JSON straight into bytes. Used for the hottest answers (a match, a heartbeat, the miner object),
/// where the generic JSONEncoder costs more than the work itself; other routes use Encodable views.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// True right after an opening bracket or a key: the next value needs no comma.
    private var atStart = true

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func object(_ body: (inout JSONWriter) -> Void) { container(UInt8(ascii: "{"), UInt8(ascii: "}"), body) }

    mutating func array(_ body: (inout JSONWriter) -> Void) { container(UInt8(ascii: "["), UInt8(ascii: "]"), body) }

    private mutating func container(_ open: UInt8, _ close: UInt8, _ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(open)
        atStart = true
        body(&self)
        bytes.append(close)
        atStart = false
    }

    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        atStart = true
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        // Most strings (addresses, ids, keys) need no escape: copied whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes += value.utf8
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// As JSONEncoder writes a number (`60`, `0.5`, `1e-07`), so the views of both read alike; null when not finite.
    mutating func number(_ value: Double) {
        separate()
        guard value.isFinite else {
            bytes += "null".utf8
            return
        }
        let text = value.description
        bytes += text.hasSuffix(".0") ? text.utf8.dropLast(2) : text.utf8[...]
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes += (value ? "true" : "false").utf8
    }

    mutating func number(_ value: Int) {
        separate()
        bytes += String(value).utf8
    }

    /// RFC 3339 in UTC to the second, as JSONEncoder's `.iso8601` writes it (`2026-12-01T09:30:00Z`),
    /// without a calendar: on the hot answers a formatter costs more than the rest of the answer.
    mutating func date(_ value: Date) {
        separate()
        let seconds = Int64(value.timeIntervalSince1970.rounded(.down))
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, clock) = secondOfDay < 0 ? (days - 1, secondOfDay + 86_400) : (days, secondOfDay)
        // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        bytes.append(UInt8(ascii: "\""))
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(dayOfMonth, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(clock / 3_600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(clock / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(clock % 60, 2)
        bytes += [UInt8(ascii: "Z"), UInt8(ascii: "\"")]
    }

    private mutating func digits(_ value: Int64, _ count: Int) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A UUID as lowercase 8-4-4-4-12 hex, as `uuidString.lowercased()` writes it, without Foundation's
    /// formatting and case change (the match id of every answer).
    mutating func uuid(_ value: UUID) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: value.uuid) { raw in
            for (i, byte) in raw.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { bytes.append(UInt8(ascii: "-")) }
                hexDigits(UInt64(byte), 2)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// 128 bits as 32 lowercase hex digits, high word first (a reservation id).
    mutating func hex(_ high: UInt64, _ low: UInt64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        hexDigits(high, 16)
        hexDigits(low, 16)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func hexDigits(_ value: UInt64, _ count: Int) {
        for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xF
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }

    /// `"name": value` when there is a value; nothing when there is none (as JSONEncoder leaves out a nil).
    mutating func optional<T>(_ name: String, _ value: T?, _ write: (inout JSONWriter, T) -> Void) {
        guard let value else { return }
        key(name)
        write(&self, value)
    }

    mutating func null() {
        separate()
        bytes += "null".utf8
    }

    private mutating func separate() {
        if !atStart { bytes.append(UInt8(ascii: ",")) }
        atStart = false
    }
}
