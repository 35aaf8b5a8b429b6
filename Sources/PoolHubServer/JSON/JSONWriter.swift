// Writing JSON straight into bytes (the match answer).

import Foundation

/// Writes JSON straight into bytes. Used for the match answer, the hottest response, where
/// the generic JSONEncoder costs more than the match itself; other routes use Encodable views.
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

    mutating func number(_ value: Double) {
        separate()
        bytes += Array((value.isFinite ? value.description : "null").utf8)
    }

    mutating func number(_ value: Int) {
        separate()
        bytes += Array(String(value).utf8)
    }

    mutating func null() {
        separate()
        bytes += "null".utf8
    }

    mutating func date(_ value: Date) { string(value.formatted(.iso8601)) }

    private mutating func separate() {
        if !atStart { bytes.append(UInt8(ascii: ",")) }
        atStart = false
    }
}
