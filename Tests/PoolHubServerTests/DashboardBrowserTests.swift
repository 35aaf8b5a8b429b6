import Foundation
import Testing

/// `/dashboard` in a real headless chromium (Debian's, installed by scripts/test.sh), driven by
/// Tests/Browser/dashboard_check.py over the DevTools protocol: what a person sees must match the hub.
@Suite(.serialized, .enabled(if: onCI || toolPath("chromium") != nil, "needs Debian's chromium (scripts/test.sh installs it)"))
struct DashboardBrowserTests {
    func check(keys: Bool) async throws {
        let hub = try await BusyHub.start(keys: keys, capacityHistory: true)
        defer { hub.stop() }
        let artifacts = repositoryRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let pass = SharedTestServers.enabled ? "shared" : "embedded"
        let shot = artifacts.appendingPathComponent("dashboard-\(pass)-\(keys ? "keys" : "open").png").path
        let script = repositoryRoot.appendingPathComponent("Tests/Browser/dashboard_check.py").path
        let python = try #require(toolPath("python3"), "python3 runs the browser check")
        let result = try await runTool(python, [script, hub.process.url, shot] + (hub.key.map { [$0] } ?? []))
        #expect(result.status == 0, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: shot), "no screenshot at \(shot)")
        print(result.output)
    }

    @Test func theDashboardShowsTheHubAsItIsWithoutKeys() async throws { try await check(keys: false) }

    @Test func theDashboardAsksOnceForAKeyAndShowsTheHubWithIt() async throws { try await check(keys: true) }
}
