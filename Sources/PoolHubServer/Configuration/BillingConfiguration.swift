// Billing settings (COORDINATOR_*, BILLING_*).

package import Foundation
package import PoolHubCore

/// How usage is priced, counted and sent to the coordinator's billing API.
package struct BillingConfiguration: Sendable {
    /// Base URL of the coordinator (`COORDINATOR_BILLING_URL`, no trailing slash); nil: usage is recorded, not sent.
    package var coordinatorURL: String?
    package var coordinatorAPIKey: String?
    /// Seconds between scheduled syncs (`BILLING_SYNC_INTERVAL_HOURS` × 3600).
    package var syncInterval: TimeInterval = 3_600
    package var prices = UsagePrices.standard
    /// Deadline of one request to the coordinator, connection included.
    package var requestTimeout: TimeInterval = 10
    /// Seconds of match requests counted into one `api_calls` record per tenant.
    package var apiCallWindow: Int64 = 3_600
    /// How long after a window ends its count is recorded: matches answered at its very end, or by an
    /// instance whose clock is a little behind, are still in it (later ones get a record of their own).
    package var apiCallWindowGrace: TimeInterval = 60
    /// Records leased per claim, and sent at most this many at once.
    package var claimSize = 32
    package var concurrentRequests = 8
    /// Records one sync pass sends at most; the rest wait for the next.
    package var recordsPerPass = 10_000
    package var backoff = DeliveryBackoff()
    /// How long the tenant of a matched job is remembered for its result.
    package var jobTenantRetention: TimeInterval = 7 * 86_400

    package init() {}

    package var syncEnabled: Bool { coordinatorURL != nil }

    /// How long a claim holds its records: longer than sending them can take (each request ends by its
    /// deadline, `concurrentRequests` at a time), so that no other pass sends a record while one still may.
    package var lease: TimeInterval {
        let rounds = (claimSize + concurrentRequests - 1) / max(concurrentRequests, 1)
        return requestTimeout * Double(rounds + 1)
    }

    static func load(_ env: EnvironmentReader) throws(ConfigurationError) -> BillingConfiguration {
        var b = BillingConfiguration()
        if let raw = env.string("COORDINATOR_BILLING_URL") {
            guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                url.host?.isEmpty == false, url.query == nil
            else {
                throw ConfigurationError("COORDINATOR_BILLING_URL", "must be an absolute http(s) URL such as http://localhost:8011, not \"\(raw)\"")
            }
            b.coordinatorURL = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        }
        b.coordinatorAPIKey = env.string("COORDINATOR_API_KEY")
        if let hours = try env.double("BILLING_SYNC_INTERVAL_HOURS", 0.000_1...8_760) { b.syncInterval = hours * 3_600 }
        b.prices.gpuHours = try price(env, "BILLING_PRICE_GPU_HOURS") ?? b.prices.gpuHours
        b.prices.computeHours = try price(env, "BILLING_PRICE_COMPUTE_HOURS") ?? b.prices.computeHours
        b.prices.apiCalls = try price(env, "BILLING_PRICE_API_CALLS") ?? b.prices.apiCalls
        b.requestTimeout = try env.double("BILLING_REQUEST_TIMEOUT_SECONDS", 0.05...600) ?? b.requestTimeout
        b.apiCallWindow = Int64(try env.int("BILLING_API_CALL_WINDOW_SECONDS", 60...86_400) ?? Int(b.apiCallWindow))
        return b
    }

    /// A unit price: plain decimal digits (no sign, no exponent), at most 1,000,000 with six decimals.
    private static func price(_ env: EnvironmentReader, _ key: String) throws(ConfigurationError) -> Decimal? {
        guard let raw = env.string(key) else { return nil }
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        let digits = parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard (1...2).contains(parts.count), digits, parts.count == 1 || parts[1].count <= 6,
            let value = Decimal(string: raw), value <= 1_000_000
        else {
            throw ConfigurationError(key, "must be a price in USD such as 0.50 (at most six decimals, up to 1000000), not \"\(raw)\"")
        }
        return value
    }
}
