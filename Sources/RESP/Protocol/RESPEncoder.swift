// Encoding commands.

import NIOCore

/// Encodes commands the way Redis expects from clients: an array of bulk strings.
enum RESPEncoder {
    static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            writeHeader(UInt8(ascii: "$"), argument.utf8.count, into: &buffer)
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            writeHeader(UInt8(ascii: "$"), argument.readableBytes, into: &buffer)
            buffer.writeImmutableBuffer(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    private static func writeHeader(_ type: UInt8, _ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        buffer.writeString(String(count))
        buffer.writeStaticString("\r\n")
    }
}
