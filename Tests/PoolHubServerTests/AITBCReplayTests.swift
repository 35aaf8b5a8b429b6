import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PoolHubServer
import Testing

/// The requests the real AITBC miner, CLI and SDK send, replayed in their captured order against a
/// live hub (open, as the AITBC hub ran): each must get what its client needs.
@Suite struct AITBCReplayTests {
    @Test func everyCapturedRequestGetsWhatItsClientNeeds() async throws {
        let captures = try Capture.all()
        #expect(captures.count >= 10)
        let t = try await TestHub.make()
        try await t.test(.live) { client in
            for capture in captures {
                let need = try #require(ClientNeed.byRoute[capture.route], "nothing says what \(capture.client) needs from \(capture.route)")
                let answer = try await client.replay(capture)
                need.check(answer, for: capture)
            }
        }
    }

    /// The router's route descriptions are what the replay compares captured routes with.
    @Test func routesAreDescribedAsMethodAndPath() async throws {
        let t = try await TestHub.make()
        let served = Set(buildRouter(t.hub).routes.map(\.description))
        #expect(
            served.isSuperset(of: [
                "POST /v1/miners/register", "POST /v1/miners/heartbeat", "POST /v1/match", "GET /v1/health", "GET /health", "GET /v1/sla/status",
            ]))
    }
}
