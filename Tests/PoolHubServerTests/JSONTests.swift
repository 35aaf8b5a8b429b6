import Foundation
import PoolHubCore
@testable import PoolHubServer
import Testing

@Suite struct JSONValueTests {
    func parse(_ text: String) -> JSONValue? { JSONValue.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() {
        #expect(
            parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
                == .object([
                    "a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]), "b": .object(["c": .string("d")]),
                    "e": .string(""),
                ]))
        #expect(parse("0") == .number(0))
        #expect(parse("[]") == .array([]))
        #expect(parse("{}") == .object([:]))
    }

    @Test func decodesEscapes() {
        #expect(parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(parse(#""héllo""#) == .string("héllo"))
    }

    @Test func refusesWhatIsNotJSON() {
        for text in [
            "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "tru", "nul", "'a'", "\"a", "\"\u{01}\"", #""\x""#,
            #""\ud83d""#, #""\ude00""#, "{a: 1}", "[1] [2]", "NaN", "1e", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ] {
            #expect(parse(text) == nil, "\(text.prefix(30))")
        }
        #expect(JSONValue.parse(Array("[[[1]]]".utf8), maxDepth: 2) == nil)
        #expect(JSONValue.parse(Array("[[1]]".utf8), maxDepth: 2) != nil)
        #expect(JSONValue.parse([0x22, 0xFF, 0x22]) == nil)  // not UTF-8
    }
}

@Suite struct JSONWriterTests {
    /// The hand-written date matches JSONEncoder's `.iso8601` for any second from 1900 to 2200 (seeded),
    /// including leap days, the turns of centuries and fractions of a second (dropped, never rounded up).
    @Test func datesAreWrittenAsJSONEncoderWritesThem() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var rng = SplitMix64(seed: 11)
        let fixed: [Double] = [0, -1, 951_782_400, 951_868_799.999, 4_107_542_400, -2_208_988_800, 1_800_000_000.75]
        let random = (0..<5_000).map { _ in Double(Int64(rng.next() % 9_467_280_000) - 2_208_988_800) + Double(rng.next() % 1_000) / 1_000 }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            var w = JSONWriter()
            w.date(date)
            #expect(String(decoding: w.bytes, as: UTF8.self) == String(decoding: try encoder.encode(date), as: UTF8.self), "\(seconds)")
        }
    }

    /// Numbers are written as JSONEncoder writes them (integral values without `.0`), seeded over every range of
    /// exponents, plus the edges; what is not finite is null.
    @Test func numbersAreWrittenAsJSONEncoderWritesThem() throws {
        var rng = SplitMix64(seed: 13)
        let fixed: [Double] = [
            0, -0.0, 1, -1, 60, 0.5, 0.1, 1e-7, 1e16, 1e21, 123_456_789_012, .ulpOfOne, .greatestFiniteMagnitude, -.leastNonzeroMagnitude,
        ]
        let random = (0..<5_000).map { i -> Double in
            let value = Double(bitPattern: rng.next())
            return i % 2 == 0 && value.isFinite ? value.rounded() : value
        }
        for value in fixed + random where value.isFinite {
            var w = JSONWriter()
            w.array { w in w.number(value) }
            #expect(String(decoding: w.bytes, as: UTF8.self) == String(decoding: try JSONEncoder().encode([value]), as: UTF8.self), "\(value)")
        }
        var w = JSONWriter()
        w.array { w in
            w.number(Double.nan)
            w.number(Double.infinity)
        }
        #expect(w.bytes == Array("[null,null]".utf8))
    }

    /// Match ids and reservation ids are written as Foundation and `ReservationID` write them (seeded, plus the extremes).
    @Test func idsAreWrittenAsTheirTextForms() throws {
        var rng = SplitMix64(seed: 12)
        let words: [(UInt64, UInt64)] = [(0, 0), (.max, .max), (0x0123_4567_89ab_cdef, 0xf)] + (0..<2_000).map { _ in (rng.next(), rng.next()) }
        for (high, low) in words {
            var pair = (high, low)
            let uuid = withUnsafeBytes(of: &pair) { UUID(uuid: $0.load(as: uuid_t.self)) }
            var w = JSONWriter()
            w.array { w in
                w.uuid(uuid)
                w.hex(high, low)
            }
            let id = ReservationID(high: high, low: low)
            #expect(String(decoding: w.bytes, as: UTF8.self) == "[\"\(uuid.uuidString.lowercased())\",\"\(id.description)\"]")
        }
    }

    /// Strings with and without characters to escape (control characters, quotes, backslashes, non-ASCII) read back as written.
    @Test func stringsReadBackAsWritten() throws {
        let strings = ["0xabc", "", "a\"b", "back\\slash", "line\nbreak\ttab\u{0}\u{1f}", "é😀", "plain id-1_2.3/4"]
        for string in strings {
            var w = JSONWriter()
            w.array { w in
                w.string(string)
                w.string("next")
            }
            #expect(JSONValue.parse(w.bytes) == .array([.string(string), .string("next")]), "\(string.debugDescription)")
        }
    }

    @Test func theHeartbeatAnswerIsValidJSON() throws {
        let status = LiveStatus(available: true, currentLoad: 0, gpuUtilization: nil, temperature: nil, lastHeartbeatAt: t0)
        let heartbeat = HeartbeatPolicy(ttl: 45)
        let bytes = HeartbeatAckView.json(MinerAddress("0xab")!, status: status, heartbeat: heartbeat)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["address"] as? String == "0xab")
        #expect(object["online"] as? Bool == true)
        #expect(object["next_heartbeat_s"] as? Int == heartbeat.suggestedInterval)
        #expect(object["expires_at"] as? String == "2027-01-15T08:00:45Z")
    }

    @Test func theMatchAnswerIsValidJSON() throws {
        let reservation = Reservation(
            id: ReservationID(high: 1, low: 2), address: MinerAddress("m1")!, jobID: "j", createdAt: t0,
            expiresAt: t0.addingTimeInterval(600))
        let result = MatchResult(
            miners: [
                MatchedMiner(
                    address: MinerAddress("m1")!, endpoint: "http://a/\"\u{01}", score: 0.5, estimatedTimeMs: 1234.6, reservation: reservation),
                MatchedMiner(address: MinerAddress("m2")!, endpoint: "http://b", score: 0.25, estimatedTimeMs: 10, reservation: nil),
            ], rejected: ["offline": 2, "at_capacity": 1])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(MatchView.json(result, jobID: "job-1"))) as? [String: Any])
        #expect(object["job_id"] as? String == "job-1")
        #expect((object["match_id"] as? String)?.count == 36)
        let miners = try #require(object["miners"] as? [[String: Any]])
        #expect(miners[0]["endpoint"] as? String == "http://a/\"\u{01}")
        #expect(miners[0]["estimated_time"] as? Int == 1235)
        #expect((miners[0]["reservation"] as? [String: Any])?["id"] as? String == "00000000000000010000000000000002")
        #expect((miners[0]["reservation"] as? [String: Any])?["expires_at"] as? String == "2027-01-15T08:10:00Z")
        #expect(miners[1]["reservation"] == nil)
        #expect(object["rejected"] as? [String: Int] == ["offline": 2, "at_capacity": 1])
        let empty = try JSONSerialization.jsonObject(with: Data(MatchView.json(MatchResult(miners: [], rejected: [:]), jobID: nil))) as? [String: Any]
        #expect((empty?["miners"] as? [Any])?.isEmpty == true)
    }
}
