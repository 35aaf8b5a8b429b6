import Foundation
import HTTPTypes
import HummingbirdTesting
import PoolHubCore
import PoolHubTestSupport
import Testing

/// Price ceilings, regions, affinity, gangs and their validation, over HTTP (both passes of scripts/test.sh).
@Suite struct MarketplaceRoutesTests {
    func addresses(_ json: [String: Any]) -> [String] { miners(json).compactMap { $0["address"] as? String } }

    /// Registers and heartbeats a miner with a price and a region.
    func offer(
        _ client: any TestClientProtocol, _ address: String, price: String?, region: String?, slots: Int = 1, stake: Int = 0
    ) async throws {
        let price = price.map { #", "price": "\#($0)""# } ?? ""
        let region = region.map { #", "region": "\#($0)""# } ?? ""
        let r = try await client.send(
            .post, "/api/v1/miners/register",
            json: """
                {"address": "\(address)", "endpoint": "http://\(address).example.com", "stake": \(stake),
                 "capabilities": {"models": ["llama3.2"], "gpu_memory": 16384, "max_concurrent_jobs": \(slots)}\(price)\(region)}
                """)
        #expect(r.status == .created)
        #expect(try await client.heartbeat(address, token: try #require(r.json["token"] as? String)) == .ok)
    }

    func match(_ client: any TestClientProtocol, _ extra: String) async throws -> [String: Any] {
        let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "limit": 10, "reserve": false\#(extra)}"#)
        #expect(r.status == .ok)
        return r.json
    }

    @Test func priceCeilingsRegionsAndPreferences() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            // Stake orders the scores: rich > mid > poor > free.
            try await offer(client, "rich", price: "0.90", region: "eu-west", stake: 100_000)
            try await offer(client, "mid", price: "0.30", region: "us-east", stake: 1_000)
            try await offer(client, "poor", price: "0.10", region: "eu-west", stake: 10)
            try await offer(client, "free", price: nil, region: nil)

            var r = try await match(client, "")
            #expect(addresses(r) == ["rich", "mid", "poor", "free"])
            // Every miner shows its price (null without one).
            #expect(miners(r).map { $0["price"] as? String } == ["0.9", "0.3", "0.1", nil])
            #expect(miners(r).last?.keys.contains("price") == true)

            r = try await match(client, #", "requirements": {"max_price": "0.30"}"#)
            #expect(addresses(r) == ["mid", "poor"])
            #expect(r["rejected"] as? [String: Int] == ["price": 2])

            r = try await match(client, #", "requirements": {"regions": ["eu-west", "ap-south"]}"#)
            #expect(addresses(r) == ["rich", "poor"])
            #expect(r["rejected"] as? [String: Int] == ["region": 2])

            r = try await match(client, #", "requirements": {"regions": ["eu-west"], "max_price": "0.5"}"#)
            #expect(addresses(r) == ["poor"])
            #expect(r["rejected"] as? [String: Int] == ["region": 2, "price": 1])

            r = try await match(client, #", "preferences": {"cheapest": true}"#)
            #expect(addresses(r) == ["poor", "mid", "rich", "free"])

            // Affinity: named miners first when they qualify, in the order named; the rest as usual.
            r = try await match(client, #", "preferences": {"miners": ["free", "nobody", "poor"]}"#)
            #expect(addresses(r) == ["free", "poor", "rich", "mid"])
            r = try await match(client, #", "requirements": {"max_price": "0.5"}, "preferences": {"miners": ["free", "rich"]}"#)
            #expect(addresses(r) == ["mid", "poor"], "a preference never admits what a requirement excludes")
        }
    }

    @Test func aPreferredRegionWinsAmongNearEqualScores() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            try await offer(client, "a", price: nil, region: "eu-west")
            try await offer(client, "b", price: nil, region: "us-east")
            for _ in 0..<5 {
                let eu = try await match(client, #", "limit": 1, "preferences": {"regions": ["eu-west"]}"#)
                #expect(addresses(eu) == ["a"])
                let us = try await match(client, #", "limit": 1, "preferences": {"regions": ["us-east"]}"#)
                #expect(addresses(us) == ["b"])
            }
            // The AITBC hint is such a preference.
            let hinted = try await client.send(
                .post, "/v1/match", json: #"{"job_id": "j", "requirements": {"capabilities_any": ["llama3.2"]}, "hints": {"region": "us-east"}}"#)
            #expect((hinted.json["candidates"] as? [[String: Any]])?.first?["miner_id"] as? String == "b")
        }
    }

    @Test func aGangIsReservedWholeOrNotAtAllAndReleasedWhole() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            for i in 0..<4 { try await offer(client, "m\(i)", price: "0.1", region: "eu") }
            func gang(_ job: String) async throws -> [String: Any] {
                let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", "job_id": "\#(job)", "count": 3}"#)
                #expect(r.status == .ok)
                return r.json
            }
            func active() async throws -> Int? {
                (try await client.send(.get, "/api/v1/status").json["capacity"] as? [String: Any])?["active_reservations"] as? Int
            }
            let first = try await gang("g1")
            let held = miners(first).prefix(3).compactMap { ($0["reservation"] as? [String: Any])?["id"] as? String }
            #expect(held.count == 3 && Set(held).count == 3)
            #expect(Set(addresses(first).prefix(3)).count == 3)
            #expect(first["available"] as? Int == 3)
            #expect(try await active() == 3)

            // The same job again: the same reservations.
            let retry = try await gang("g1")
            #expect(Set(miners(retry).compactMap { ($0["reservation"] as? [String: Any])?["id"] as? String }) == Set(held))

            // One slot left: a second gang of three gets none of it.
            let second = try await gang("g2")
            #expect(miners(second).isEmpty)
            #expect(second["available"] as? Int == 1)
            #expect((second["rejected"] as? [String: Int])?["at_capacity"] == 3)
            #expect(try await active() == 3)

            // A result frees its own miner's slot only; a DELETE of any member frees the rest.
            let done = try #require(addresses(first).first)
            let result = try await client.send(
                .post, "/api/v1/jobs/g1/result", json: #"{"address": "\#(done)", "status": "completed", "response_time_ms": 500}"#)
            #expect(result.status == .ok)
            #expect(try await active() == 2)
            #expect(try await client.send(.delete, "/api/v1/reservations/\(held[2])").status == .noContent)
            #expect(try await active() == 0)
            #expect(try await client.send(.delete, "/api/v1/reservations/\(held[1])").status == .notFound)
            #expect(miners(try await gang("g3")).count == 3)
        }
    }

    @Test func badValuesAreRefusedListingEachProblem() async throws {
        let t = try await TestHub.make()
        try await t.test { client in
            let registration = try await client.send(
                .post, "/api/v1/miners/register",
                json:
                    #"{"address": "x", "endpoint": "http://x.example.com", "capabilities": {"models": ["m"], "max_concurrent_jobs": 1}, "price": "-1"}"#
            )
            #expect(registration.status == .unprocessableContent)
            #expect(errorFields(registration.json) == ["price"])
            for price in [#""abc""#, #""0.0000001""#, #""2000000""#, "0.5", #""1e3""#] {
                let r = try await client.send(
                    .post, "/api/v1/miners/register",
                    json:
                        #"{"address": "x", "endpoint": "http://x.example.com", "capabilities": {"models": ["m"], "max_concurrent_jobs": 1}, "price": \#(price)}"#
                )
                #expect(r.status == .unprocessableContent, "price \(price)")
                #expect(errorFields(r.json) == ["price"], "price \(price)")
            }
            let r = try await client.match(
                #"""
                {"job_type": "inference", "model": "llama3.2", "count": 65, "requirements": {"max_price": "-0.5", "regions": "eu"},
                 "preferences": {"cheapest": "yes", "regions": [1], "miners": ["bad address!"], "fastest": true}}
                """#)
            #expect(r.status == .unprocessableContent)
            #expect(
                Set(errorFields(r.json)) == [
                    "count", "requirements.max_price", "requirements.regions", "preferences.cheapest", "preferences.regions[0]",
                    "preferences.miners[0]", "preferences.fastest",
                ])
            for (body, field) in [
                (#""count": 0"#, "count"), (#""requirements": {"max_price": 1}"#, "requirements.max_price"),
                (#""requirements": {"regions": []}"#, "requirements.regions"), (#""requirements": {"regions": [null]}"#, "requirements.regions[0]"),
                (#""count": 2"#, "job_id"), (#""preferences": []"#, "preferences"),
            ] {
                let r = try await client.match(#"{"job_type": "inference", "model": "llama3.2", \#(body)}"#)
                #expect(r.status == .unprocessableContent, "\(body)")
                #expect(errorFields(r.json) == [field], "\(body)")
            }
            // A gang without a reservation needs no job id.
            #expect(try await client.match(#"{"job_type": "inference", "model": "llama3.2", "count": 2, "reserve": false}"#).status == .ok)
        }
    }
}
