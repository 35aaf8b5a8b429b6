import Foundation
@testable import PoolHubCore
import Testing

@Suite struct BillingMathsTests {
    @Test func sha256MatchesTheStandardVectors() {
        func hex(_ text: String) -> String {
            SHA256.digest(Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func eventIDsAreStableDistinctAndHeaderSafe() {
        let miner = MinerAddress("0xabc")!
        let id = UsageEventID.job("job-1", miner: miner, resource: .gpuHours)
        #expect(id == UsageEventID.job("job-1", miner: miner, resource: .gpuHours))
        #expect(id != UsageEventID.job("job-1", miner: miner, resource: .computeHours))
        #expect(id != UsageEventID.job("job-1", miner: MinerAddress("0xabd")!, resource: .gpuHours))
        // Length prefixes keep field boundaries: ("a|b", "c") is not ("a", "b|c").
        #expect(
            UsageEventID.job("a|1:b", miner: MinerAddress("c")!, resource: .gpuHours)
                != UsageEventID.job("a", miner: MinerAddress("b")!, resource: .gpuHours))
        let calls = UsageEventID.apiCalls(tenant: "acme", windowStart: 3_600, first: 1, last: 10)
        #expect(calls != UsageEventID.apiCalls(tenant: "acme", windowStart: 3_600, first: 11, last: 12))
        for value in [id, calls, UsageEventID.job("j\n\"ü", miner: miner, resource: .apiCalls)] {
            #expect(value.count == 36)
            #expect(value.allSatisfy { $0.isHexDigit || $0 == "-" })
            #expect(Array(value)[14] == "8", "version 8")
        }
        // A fixed value (computed independently with Python's hashlib): the derivation must never change, or
        // records already sent would be billed again.
        #expect(UsageEventID.job("job-123", miner: miner, resource: .gpuHours) == "b5552b7e-bfc0-8080-9d2b-e619a00f3414")
    }

    @Test func microsRoundHalfAwayFromZeroAndPrintPlainly() {
        #expect(Micros(rounding: Decimal(string: "0.0000005")!) == Micros(1))
        #expect(Micros(rounding: Decimal(string: "0.00000049")!) == Micros(0))
        #expect(Micros(rounding: Decimal(string: "-0.0000005")!) == Micros(-1))
        #expect(Micros(rounding: Decimal(string: "12.3456785")!) == Micros(12_345_679))
        #expect(Micros(rounding: Decimal(string: "1e30")!) == nil)
        #expect(Micros(500_000).formatted(minimumFractionDigits: 2) == "0.50")
        #expect(Micros(445).formatted(minimumFractionDigits: 2) == "0.000445")
        #expect(Micros(units: 12).formatted() == "12")
        #expect(Micros(1_234_500_000).formatted() == "1234.5")
        #expect(Micros(-1).formatted() == "-0.000001")
        #expect(Micros.decimal(0.1 + 0.2) == Decimal(string: "0.3")!)
        #expect(Micros.decimal(7.2) == Decimal(string: "7.2")!)
        #expect(Micros.decimal(0.00001) == Decimal(string: "0.00001")!)
        #expect(Decimal(string: "0.5")!.moneyString == "0.50")
        #expect(Decimal(string: "0.0001")!.moneyString == "0.0001")
        #expect(Decimal(3).moneyString == "3.00")
    }

    @Test func aCompletedJobBillsGPUAndComputeHours() {
        let pricing = UsagePricing(prices: .standard)
        let result = JobResult(
            jobID: "job-1", address: MinerAddress("0xabc")!, outcome: .completed, responseTimeMs: 1_840, gpuSeconds: 3.2,
            error: nil, reportedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let records = pricing.records(for: result, tenant: "acme")
        #expect(records.map(\.resource) == [.gpuHours, .computeHours])
        let gpu = records[0]
        // 3.2 s = 0.000888… h → 0.000889 h; × 0.50 = 0.0004445 → 0.000445.
        #expect(gpu.quantity == Micros(889))
        #expect(gpu.amount == Micros(445))
        #expect(gpu.unitPrice == Decimal(string: "0.50")!)
        #expect(gpu.tenantID == "acme")
        #expect(gpu.minerID == "0xabc")
        #expect(gpu.jobID == "job-1")
        #expect(gpu.unit == "hours")
        #expect(gpu.timestamp == result.reportedAt)
        #expect(gpu.metadata == ["status": "completed", "gpu_seconds": "3.2"])
        let compute = records[1]
        // 1840 ms = 0.000511… h → 0.000511 h; × 0.30 = 0.0001533 → 0.000153.
        #expect(compute.quantity == Micros(511))
        #expect(compute.amount == Micros(153))
        #expect(Set(records.map(\.eventID)).count == 2)
    }

    @Test func failedJobsBillGPUTimeOnlyAndEmptyWorkNothing() {
        let pricing = UsagePricing(prices: .standard)
        var result = JobResult(
            jobID: "j", address: MinerAddress("m")!, outcome: .failed, responseTimeMs: 5_000, gpuSeconds: 36,
            error: "oom", reportedAt: Date(timeIntervalSince1970: 0))
        #expect(pricing.records(for: result, tenant: "t").map(\.resource) == [.gpuHours])
        #expect(pricing.records(for: result, tenant: "t").first?.quantity == Micros(10_000))
        result.gpuSeconds = nil
        #expect(pricing.records(for: result, tenant: "t").isEmpty)
        result.outcome = .completed
        result.responseTimeMs = 0
        result.gpuSeconds = 0
        #expect(pricing.records(for: result, tenant: "t").isEmpty)
        // Less than half a millionth of an hour rounds to nothing, and is not billed.
        result.gpuSeconds = 0.0001
        #expect(pricing.records(for: result, tenant: "t").isEmpty)
    }

    @Test func apiCallRecordsCoverTheirSliceOfAWindow() throws {
        let pricing = UsagePricing(prices: .standard)
        let window = APICallWindow.containing(Date(timeIntervalSince1970: 7_250), length: 3_600)
        #expect(window.start == 7_200)
        #expect(window.end == 10_800)
        let first = try #require(pricing.apiCallRecord(tenant: "acme", window: window, first: 1, last: 12_345))
        #expect(first.quantity == Micros(units: 12_345))
        #expect(first.amount.formatted(minimumFractionDigits: 2) == "1.2345")
        #expect(first.minerID == nil)
        #expect(first.timestamp == window.startDate)
        #expect(first.metadata["first_call"] == "1")
        let late = try #require(pricing.apiCallRecord(tenant: "acme", window: window, first: 12_346, last: 12_350))
        #expect(late.quantity == Micros(units: 5))
        #expect(late.eventID != first.eventID)
        #expect(pricing.apiCallRecord(tenant: "acme", window: window, first: 5, last: 4) == nil)
    }

    @Test func backoffDoublesToItsCapWithEqualJitter() {
        let backoff = DeliveryBackoff(base: 30, cap: 3_600)
        #expect(backoff.delay(afterFailures: 1, jitter: 0) == 15)
        #expect(backoff.delay(afterFailures: 1, jitter: 1) == 30)
        #expect(backoff.delay(afterFailures: 2, jitter: 0.5) == 45)
        #expect(backoff.delay(afterFailures: 3, jitter: 1) == 120)
        #expect(backoff.delay(afterFailures: 40, jitter: 1) == 3_600)
        #expect(backoff.delay(afterFailures: 1_000, jitter: 0) == 1_800)
        #expect(backoff.delay(afterFailures: 0, jitter: 0) == 15)
    }

    @Test func verdictsFollowTheCoordinatorsStatus() {
        for status in [200, 201, 202, 204, 409] { #expect(DeliveryVerdict(status: status) == .acknowledged) }
        for status in [400, 404, 410, 413, 415, 422] { #expect(DeliveryVerdict(status: status) == .rejected) }
        for status in [401, 403, 408, 425, 429, 500, 502, 503, 504, 301, 100] { #expect(DeliveryVerdict(status: status) == .retry) }
    }
}
