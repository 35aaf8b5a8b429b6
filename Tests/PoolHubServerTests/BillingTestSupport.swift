import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PoolHubCore
@testable import PoolHubServer
import Synchronization

let billingKeys = "coordinator:\(coordinatorKey),admin:\(adminKey)"

extension TestHub {
    /// A hub whose billing sync talks to `coordinator` (nil: sync off).
    /// `timeout` is the coordinator request deadline: long by default, so that a busy box never turns an answer into a
    /// timeout; a test of timeouts sets its own.
    static func billing(
        _ coordinator: CoordinatorStandIn?, timeout: TimeInterval = 30, tweak: (inout HubConfiguration) -> Void = { _ in }
    ) async throws -> TestHub {
        try await make(keys: billingKeys) { c in
            c.billing.coordinatorURL = coordinator?.url
            c.billing.coordinatorAPIKey = coordinator?.apiKey
            c.billing.requestTimeout = timeout
            tweak(&c)
        }
    }

    /// Another instance on this hub's database (and Redis namespace), on the same clock.
    func sibling() async throws -> Hub {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try await Hub.open(hub.configuration, clock: clock, logger: logger)
    }
}

extension TestClientProtocol {
    /// Registers `count` online miners `m0`, `m1`, … serving llama3.2.
    func onlineMiners(_ count: Int) async throws {
        for i in 0..<count {
            let token = try await register("m\(i)", slots: 8)
            _ = try await heartbeat("m\(i)", token: token)
        }
    }

    /// Reports a job result with the coordinator key; returns whether it was counted.
    @discardableResult
    func report(
        _ jobID: String, miner: String, status: String = "completed", responseTimeMs: Double? = nil, gpuSeconds: Double? = nil,
        tenant: String? = nil
    ) async throws -> Bool {
        var fields = [#""address": "\#(miner)""#, #""status": "\#(status)""#]
        if let responseTimeMs { fields.append(#""response_time_ms": \#(responseTimeMs)"#) }
        if let gpuSeconds { fields.append(#""gpu_seconds": \#(gpuSeconds)"#) }
        if let tenant { fields.append(#""tenant_id": "\#(tenant)""#) }
        let r = try await send(.post, "/api/v1/jobs/\(jobID)/result", json: "{\(fields.joined(separator: ", "))}", key: coordinatorKey)
        return r.json["counted"] as? Bool ?? false
    }

    /// `POST /sla/billing/sync` as an admin: its answer's counts, or nil when it did not answer 200.
    func syncBilling() async throws -> [String: Int]? {
        let r = try await send(.post, "/sla/billing/sync", key: adminKey)
        return r.status == .ok ? r.json.compactMapValues { $0 as? Int } : nil
    }

    func billingUsage(_ query: String = "") async throws -> [String: Any] {
        try await send(.get, "/sla/billing/usage" + query, key: coordinatorKey).json
    }
}

/// A seeded random source shared by a stand-in's policy.
final class SeededDice: Sendable {
    private let rng: Mutex<SplitMix64>
    init(seed: UInt64) { rng = Mutex(SplitMix64(seed: seed)) }
    /// True with probability `p`.
    func roll(_ p: Double) -> Bool { rng.withLock { Double($0.next() >> 11) / Double(1 << 53) } < p }
}

/// The decimal amount of a JSON money string.
func money(_ value: Any?) -> Decimal? { (value as? String).flatMap { Decimal(string: $0) } }
