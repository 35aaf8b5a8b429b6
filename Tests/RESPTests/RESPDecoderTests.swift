import NIOCore
import Testing

@testable import RESP

@Suite struct RESPDecoderTests {
    static let samples: [(String, RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":0\r\n", .integer(0)),
        (":-42\r\n", .integer(-42)),
        (":9223372036854775807\r\n", .integer(.max)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$5\r\nhello\r\n", .bulkString(ByteBuffer(string: "hello"))),
        ("$0\r\n\r\n", .bulkString(ByteBuffer())),
        ("$4\r\na\r\nb\r\n", .bulkString(ByteBuffer(string: "a\r\nb"))),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        (
            "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$-1\r\n",
            .array([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "ch")), .null])
        ),
        (
            "*2\r\n*2\r\n:1\r\n*0\r\n*1\r\n+x\r\n",
            .array([.array([.integer(1), .array([])]), .array([.simpleString("x")])])
        ),
    ]

    private func decodeAll(_ bytes: [UInt8], chunk: Int) throws -> [RESPValue] {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let value = try decoder.next(from: &buffer) { values.append(value) }
        }
        #expect(buffer.readableBytes == 0)
        return values
    }

    @Test func decodesEachSampleWhole() throws {
        for (wire, expected) in Self.samples {
            #expect(try decodeAll(Array(wire.utf8), chunk: .max) == [expected], "\(wire.debugDescription)")
        }
    }

    @Test func decodesAllSamplesBackToBackSplitAtEveryByte() throws {
        let wire = Array(Self.samples.map(\.0).joined().utf8)
        let expected = Self.samples.map(\.1)
        for chunk in [1, 2, 3, 5, 7, 13] {
            #expect(try decodeAll(wire, chunk: chunk) == expected, "chunk \(chunk)")
        }
    }

    @Test func incompleteFrameWaitsWithoutConsumingAScalar() throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "$5\r\nhel")
        #expect(try decoder.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 7)
        buffer.writeString("lo\r\n")
        #expect(try decoder.next(from: &buffer) == .bulkString(ByteBuffer(string: "hello")))
    }

    @Test func bigBulkStringInChunks() throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let wire = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
        let values = try decodeAll(wire, chunk: 16 * 1024 + 3)
        #expect(values == [.bulkString(ByteBuffer(bytes: payload))])
    }

    @Test func largeArrayDecodesIncrementally() throws {
        let count = 20_000
        let wire = "*\(count)\r\n" + (0..<count).map { ":\($0)\r\n" }.joined()
        let values = try decodeAll(Array(wire.utf8), chunk: 4096)
        #expect(values == [.array((0..<count).map { .integer(Int64($0)) })])
    }

    @Test(arguments: [
        "?what\r\n",  // unknown type byte
        ":12a\r\n",  // not an integer
        ":\r\n",  // empty integer
        ":99999999999999999999\r\n",  // overflow
        "$536870913\r\n",  // bulk above 512 MiB
        "$-2\r\n",  // negative bulk length
        "$3\r\nabcXY",  // bulk not followed by CRLF
        "*-5\r\n",  // negative array length
        "+OK\rX",  // CR without LF
    ])
    func rejectsMalformedInput(_ wire: String) {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: wire)
        #expect(throws: RedisError.self) { try decoder.next(from: &buffer) }
    }

    @Test func rejectsDeepNesting() {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: RESPDecoder.maximumDepth + 1) + ":1\r\n")
        #expect(throws: RedisError.self) { try decoder.next(from: &buffer) }

        var shallow = RESPDecoder()
        var ok = ByteBuffer(string: String(repeating: "*1\r\n", count: RESPDecoder.maximumDepth) + ":1\r\n")
        #expect((try? shallow.next(from: &ok)) != nil)
    }

    @Test func rejectsEndlessLine() {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "+" + String(repeating: "a", count: RESPDecoder.maximumLineLength + 10))
        #expect(throws: RedisError.self) { try decoder.next(from: &buffer) }
    }

    @Test func errorIsAProtocolViolation() {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "!oops\r\n")
        do {
            _ = try decoder.next(from: &buffer)
            Issue.record("expected a throw")
        } catch {
            guard case .protocolViolation = error else {
                Issue.record("got \(error)")
                return
            }
        }
    }
}

@Suite struct RESPEncoderTests {
    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.encode(["SET", "ké", ""], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$3\r\nké\r\n$0\r\n\r\n")
    }

    @Test func binaryArgumentsRoundTripThroughTheDecoder() throws {
        let binary = ByteBuffer(bytes: Array(0...255))
        var buffer = ByteBuffer()
        RESPEncoder.encode([ByteBuffer(string: "SET"), binary], into: &buffer)
        var decoder = RESPDecoder()
        #expect(try decoder.next(from: &buffer) == .array([.bulkString(ByteBuffer(string: "SET")), .bulkString(binary)]))
    }
}

@Suite struct RESPValueTests {
    @Test func accessors() {
        #expect(RESPValue.bulkString(ByteBuffer(string: "12")).int == 12)
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.integer(7).int == 7)
        #expect(RESPValue.integer(7).string == nil)
        #expect(RESPValue.null.isNull)
        #expect(RESPValue.array([.null]).array == [.null])
        #expect(RESPValue.error("ERR").string == nil)
    }
}
