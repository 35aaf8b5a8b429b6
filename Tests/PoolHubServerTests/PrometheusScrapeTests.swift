import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import Yams
import NIOHTTP1
import PoolHubTestSupport

/// Debian's real `prometheus` (installed by scripts/test.sh) scrapes a live hub under a small load, with
/// deploy/prometheus/alerts.yml loaded: every alert rule evaluates without error, and every panel of
/// deploy/grafana/poolhub.json evaluates and returns at least one series.
@Suite(.serialized, .enabled(if: onCI || toolPath("prometheus") != nil, "needs Debian's prometheus (scripts/test.sh installs it)"))
struct PrometheusScrapeTests {
    /// Grafana's `$__rate_interval` for a 1 s scrape: a window with several samples.
    static let rateInterval = "10s"

    @Test func everyDashboardPanelAndAlertEvaluatesAgainstALiveHub() async throws {
        let prometheusPath = try #require(toolPath("prometheus"))
        let hub = try await BusyHub.start(keys: false, metrics: true)
        defer { hub.stop() }
        let metricsPort = try #require(hub.metricsPort)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = repositoryRoot.appendingPathComponent("deploy/prometheus/alerts.yml").path
        try """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        rule_files: ["\(rules)"]
        scrape_configs:
          - job_name: poolhub
            static_configs: [{targets: ["127.0.0.1:\(metricsPort)"]}]
        """.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: prometheusPath)
        prometheus.arguments = [
            "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }
        let api = "http://127.0.0.1:\(port)"
        #expect(await eventually(within: .seconds(30)) { (try? await Self.get("\(api)/-/ready")) != nil }, "prometheus did not start")

        // A small load while Prometheus scrapes every second, so rates and quantiles have samples.
        try await hub.work(seconds: 8)
        let upSeries = await eventually(within: .seconds(10)) {
            ((try? await Self.query(api, "up{job=\"poolhub\"} == 1"))?.count ?? 0) > 0
        }
        #expect(upSeries, "prometheus never scraped the hub")

        // Every alert: the expression evaluates now, and Prometheus's own evaluation of the rule is healthy.
        let alerts = try Yams.load(yaml: String(contentsOfFile: rules, encoding: .utf8)) as? [String: Any]
        let ruleList = ((alerts?["groups"] as? [[String: Any]]) ?? []).flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(ruleList.count >= 10)
        for rule in ruleList {
            let name = rule["alert"] as? String ?? "?"
            let expr = try #require(rule["expr"] as? String, "\(name) has no expr")
            do {
                _ = try await Self.query(api, expr)
            } catch {
                Issue.record("alert \(name): \(error)")
            }
        }
        let healthy = await eventually(within: .seconds(10)) {
            guard let rules = try? await Self.loadedRules(api), rules.count == ruleList.count else { return false }
            return rules.allSatisfy { $0.health == "ok" }
        }
        let health = try? await Self.loadedRules(api)
        #expect(healthy, "rule health: \(String(describing: health))")

        // Every Grafana panel: each expression evaluates, and the panel shows at least one series.
        let dashboard =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: repositoryRoot.appendingPathComponent("deploy/grafana/poolhub.json"))) as? [String: Any]
        let panels = (dashboard?["panels"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "row" }
        #expect(panels.count >= 20)
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let expressions = (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
            #expect(!expressions.isEmpty, "panel \(title) has no query")
            var series = 0
            for expr in expressions {
                do {
                    series += try await Self.query(api, expr.replacingOccurrences(of: "$__rate_interval", with: Self.rateInterval)).count
                } catch {
                    Issue.record("panel \(title): \(error)")
                }
            }
            #expect(series > 0, "panel \(title) returned no series")
        }
    }

    struct QueryError: Error, CustomStringConvertible { var description: String }

    static func get(_ url: String) async throws -> Data {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code == 200 else { throw QueryError(description: "HTTP \(response.status.code): \(String(buffer: body))") }
        return Data(body.readableBytesView)
    }

    /// The series of an instant query; throws Prometheus's error for an expression that does not evaluate.
    static func query(_ api: String, _ expr: String) async throws -> [[String: Any]] {
        var components = URLComponents(string: "\(api)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: expr)]
        let encoded = components.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B")
        let request = HTTPClientRequest(url: "\(api)/api/v1/query?\(encoded)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        guard object?["status"] as? String == "success" else {
            throw QueryError(description: "\(expr): \(object?["errorType"] ?? "") \(object?["error"] ?? String(buffer: body))")
        }
        return (object?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
    }

    static func loadedRules(_ api: String) async throws -> [(name: String, health: String, error: String?)] {
        let object = try JSONSerialization.jsonObject(with: try await get("\(api)/api/v1/rules")) as? [String: Any]
        let groups = ((object?["data"] as? [String: Any])?["groups"] as? [[String: Any]]) ?? []
        return groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }.map {
            ($0["name"] as? String ?? "?", $0["health"] as? String ?? "?", $0["lastError"] as? String)
        }
    }
}
