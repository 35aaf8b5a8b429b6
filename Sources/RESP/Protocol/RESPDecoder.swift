// Decoding RESP2 replies.

import NIOCore

/// Incremental RESP2 decoder: feed it whatever bytes arrived, it returns complete replies.
///
/// Partially received arrays are kept on a stack, so a huge multi-bulk reply arriving in many reads is
/// decoded in linear time; only a single scalar (line or bulk string) waits until it is complete.
/// Malformed input throws `.protocolViolation`; the connection cannot be trusted after that.
struct RESPDecoder: Sendable {
    static let maximumBulkLength = 512 * 1024 * 1024  // Redis' own proto-max-bulk-len default
    static let maximumDepth = 64
    /// Simple strings, errors, integers and headers are short; a longer line means garbage.
    static let maximumLineLength = 64 * 1024

    private struct PartialArray: Sendable {
        var remaining: Int
        var elements: [RESPValue]
    }

    private var stack: [PartialArray] = []

    init() {}

    /// The next complete reply, or nil when more bytes are needed (consumed bytes are kept in `self`).
    mutating func next(from buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        while let item = try readItem(from: &buffer) {
            var value: RESPValue
            switch item {
            case .value(let scalar):
                value = scalar
            case .arrayHeader(let count):
                guard stack.count < Self.maximumDepth else {
                    throw .protocolViolation("arrays nested deeper than \(Self.maximumDepth)")
                }
                // Never trust the announced count for allocation.
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 1024))
                stack.append(PartialArray(remaining: count, elements: elements))
                continue
            }
            // Fold the finished value into its parents; return once the outermost one is complete.
            while var top = stack.popLast() {
                top.elements.append(value)
                top.remaining -= 1
                if top.remaining > 0 {
                    stack.append(top)
                    break
                }
                value = .array(top.elements)
            }
            if stack.isEmpty { return value }
        }
        return nil
    }

    private enum Item {
        case value(RESPValue)
        case arrayHeader(Int)  // > 0; empty and null arrays are plain values
    }

    /// Reads one scalar or array header, consuming its bytes only when it is complete.
    private func readItem(from buffer: inout ByteBuffer) throws(RedisError) -> Item? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let line = try Self.line(in: buffer) else { return nil }
        let content = buffer.readableBytesView[(buffer.readerIndex + 1)..<line.end]
        switch type {
        case UInt8(ascii: "+"):
            buffer.moveReaderIndex(to: line.next)
            return .value(.simpleString(String(decoding: content, as: UTF8.self)))
        case UInt8(ascii: "-"):
            buffer.moveReaderIndex(to: line.next)
            return .value(.error(String(decoding: content, as: UTF8.self)))
        case UInt8(ascii: ":"):
            let value = try Self.integer(content, what: "integer")
            buffer.moveReaderIndex(to: line.next)
            return .value(.integer(value))
        case UInt8(ascii: "$"):
            let length = try Self.integer(content, what: "bulk length")
            if length == -1 {
                buffer.moveReaderIndex(to: line.next)
                return .value(.null)
            }
            guard length >= 0, length <= Self.maximumBulkLength else {
                throw .protocolViolation("bulk length \(length) outside 0...\(Self.maximumBulkLength)")
            }
            let bulkLength = Int(length)
            guard buffer.writerIndex - line.next >= bulkLength + 2 else { return nil }
            guard buffer.getInteger(at: line.next + bulkLength, as: UInt16.self) == Self.crlf else {
                throw .protocolViolation("bulk string of \(bulkLength) bytes not followed by CRLF")
            }
            let bytes = buffer.getSlice(at: line.next, length: bulkLength)!
            buffer.moveReaderIndex(to: line.next + bulkLength + 2)
            return .value(.bulkString(bytes))
        case UInt8(ascii: "*"):
            let count = try Self.integer(content, what: "array length")
            buffer.moveReaderIndex(to: line.next)
            switch count {
            case -1: return .value(.null)
            case 0: return .value(.array([]))
            case 1...Int64(Int32.max): return .arrayHeader(Int(count))
            default: throw .protocolViolation("array length \(count) is invalid")
            }
        default:
            throw .protocolViolation("unexpected type byte 0x\(String(type, radix: 16)) in reply")
        }
    }

    private static let crlf = UInt16(UInt8(ascii: "\r")) << 8 | UInt16(UInt8(ascii: "\n"))

    /// The CR position (`end`) and the index after LF (`next`) of the line starting at the reader index.
    private static func line(in buffer: ByteBuffer) throws(RedisError) -> (end: Int, next: Int)? {
        let view = buffer.readableBytesView
        let searchEnd = min(view.endIndex, view.startIndex + maximumLineLength + 2)
        guard let cr = view[view.startIndex..<searchEnd].firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > maximumLineLength + 1 {
                throw .protocolViolation("reply line longer than \(maximumLineLength) bytes")
            }
            return nil
        }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == UInt8(ascii: "\n") else { throw .protocolViolation("CR not followed by LF") }
        return (cr, cr + 2)
    }

    /// Strict decimal: optional '-', at least one digit, nothing else, no overflow.
    private static func integer(_ bytes: ByteBufferView.SubSequence, what: String) throws(RedisError) -> Int64 {
        var index = bytes.startIndex
        let negative = index < bytes.endIndex && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.endIndex else { throw .protocolViolation("empty \(what)") }
        var value: Int64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw .protocolViolation("\(what) is not a decimal integer")
            }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw .protocolViolation("\(what) overflows 64 bits") }
            value = next
            index += 1
        }
        return value
    }
}

/// Lets `ByteToMessageHandler` own the cumulation buffer in the channel pipeline.
extension RESPDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = RESPValue

    mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        try next(from: &buffer)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try next(from: &buffer)
    }
}
