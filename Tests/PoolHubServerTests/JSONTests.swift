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
