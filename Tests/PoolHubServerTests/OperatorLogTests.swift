import AsyncHTTPClient
import Foundation
import Logging
import PoolHubTestSupport
@testable import PoolHubServer
import Synchronization
import Testing
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// Captures what a logger writes, for the log tests.
final class CapturedLog: Sendable {
    let lines = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.lines.withLock { $0.append((event.level, "\(event.message)", merged)) }
        }
    }
}

@Suite struct OperatorLogTests {
    @Test func refusalsAreWarnedWithTheirContextAndAFloodIsRateLimited() throws {
        let captured = CapturedLog()
        var logger = captured.logger
        logger[metadataKey: "request_id"] = "req-1"
        let log = RejectionLog(perSecond: 2, burst: 3)
        let t0 = ContinuousClock.now
        // 2xx-4xx other than 401/403 are not worth a warning.
        log.record(method: "GET", route: "/x", status: 404, reason: "not_found", logger: logger, at: t0)
        log.record(method: "POST", route: "/api/v1/match", status: 422, reason: "invalid", logger: logger, at: t0)
        #expect(captured.lines.withLock { $0.isEmpty })
        for _ in 0..<10 {
            log.record(method: "POST", route: "/sla/metrics/collect", status: 401, reason: "unauthorized: no key", logger: logger, at: t0)
        }
        let burst = captured.lines.withLock { $0 }
        #expect(burst.count == 3)
        let first = try #require(burst.first)
        #expect(first.level == .warning)
        #expect(first.message == "request refused")
        #expect(first.metadata["method"] == "POST")
        #expect(first.metadata["route"] == "/sla/metrics/collect")
        #expect(first.metadata["status"]?.description == "401")
        #expect(first.metadata["request_id"] == "req-1")
        #expect(first.metadata["reason"] == "unauthorized: no key")
        // A second later two more may be written; the first of them says how many were skipped.
        log.record(method: "GET", route: "/api/v1/status", status: 503, reason: "unavailable", logger: logger, at: t0 + .seconds(1))
        let after = captured.lines.withLock { $0 }
        #expect(after.count == 4)
        #expect(after.last?.message == "request failed")
        #expect(after.last?.metadata["suppressed_before"]?.description == "7")
    }

    @Test func jsonLinesAreOneObjectEachWithEveryField() throws {
        let line = JSONLogHandler.line(
            level: .warning, label: "poolhub", message: "request \"refused\"\nagain",
            metadata: ["route": "/api/v1/match", "status": "401"], at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["time"] == "2027-01-15T08:00:00Z")
        #expect(object["level"] == "warning")
        #expect(object["label"] == "poolhub")
        #expect(object["message"] == "request \"refused\"\nagain")
        #expect(object["route"] == "/api/v1/match")
        #expect(object["status"] == "401")
    }

    @Test func textLinesAreTheStreamHandlersWithMetadataFormattedWhenWritten() throws {
        let written = Mutex<[String]>([])
        var logger = Logger(label: "poolhub") { label in
            TextLogHandler(label: label) { bytes in written.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
        }
        logger[metadataKey: "hb.request.id"] = "7"
        logger.warning("request refused", metadata: ["status": "401", "route": "/api/v1/match"], source: "PoolHubServer")
        logger.info("plain")
        logger.debug("below the level")
        let lines = written.withLock { $0 }
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        // <time> warning poolhub: hb.request.id=7 route=/api/v1/match status=401 [PoolHubServer] request refused
        #expect(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} "#, options: .regularExpression) != nil, "\(first)")
        #expect(first.hasSuffix(" warning poolhub: hb.request.id=7 route=/api/v1/match status=401 [PoolHubServer] request refused\n"))
        #expect(lines.last?.hasSuffix(" info poolhub: hb.request.id=7 [PoolHubServerTests] plain\n") == true, "\(lines)")
    }

    @Test func aBadLogFormatStopsStartUpNamingTheKey() {
        #expect(throws: ConfigurationError.self) { try HubConfiguration.load(environment: ["LOG_FORMAT": "xml"]) }
        #expect((try? HubConfiguration.load(environment: ["LOG_FORMAT": "JSON"]))?.logFormat == .json)
    }

    /// The real binary: the start-up line, refused requests, SIGTERM, all as JSON lines; a taken port is one line.
    @Test func theBinaryLogsStartUpRefusalsAndShutdownAsJSONLines() async throws {
        let environment = try await SharedTestServers.freshEnvironment()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = HubProcess.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"]
        process.currentDirectoryURL = directory
        process.environment = ["PATH": "/usr/bin:/bin", "LOG_FORMAT": "json", "POOLHUB_API_KEYS": "admin:admin-key-for-logs"]
            .merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdout = OutputCollector()
        let stderr = OutputCollector()
        output.fileHandleForReading.readabilityHandler = { stdout.append($0.availableData) }
        errors.fileHandleForReading.readabilityHandler = { stderr.append($0.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        #expect(await eventually(within: .seconds(60)) { stdout.text.contains("poolhub listening on ") }, "\(stderr.text)")
        let port = try #require(
            stdout.text.split(separator: "\n").first { $0.hasPrefix("poolhub listening on") }?.split(separator: ":").last.flatMap { Int($0) })

        // The port is taken now: a second hub (its database already migrated) says so in one line and exits 69.
        let other: [String: String] = [
            "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:\(directory.path)/other.sqlite", "POOLHUB_API_KEYS": "admin:admin-key-for-logs",
        ]
        #expect(try await runTool(HubProcess.binary.path, ["migrate"], environment: other).status == 0)
        let second = try await runTool(HubProcess.binary.path, ["serve", "--host", "127.0.0.1", "--port", String(port)], environment: other)
        #expect(second.status == 69)
        #expect(second.output == "poolhub: cannot listen on 127.0.0.1:\(port): Address already in use\n", "\(second.output)")

        let hub = HubProcessAddress(port: port)
        _ = try await hub.get("/sla/violations", requestID: "refused-1")
        process.terminate()  // SIGTERM
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 0)
        errors.fileHandleForReading.readabilityHandler = nil
        stderr.append(errors.fileHandleForReading.readDataToEndOfFile())

        let lines = stderr.text.split(separator: "\n").map(String.init)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
        #expect(objects.count == lines.count, "not every line is a JSON object: \(stderr.text)")
        let started = objects.filter { $0["message"] == "poolhub started" }
        #expect(started.count == 1, "\(stderr.text)")
        let expectedMode = SharedTestServers.enabled ? "shared" : "embedded"
        #expect(started.first?["mode"] == expectedMode)
        #expect(started.first?["storage"] == (SharedTestServers.enabled ? "postgresql" : "sqlite"))
        #expect(started.first?["hot_state"] == (SharedTestServers.enabled ? "redis" : "in_process"))
        #expect(started.first?["api_keys"] == "on")
        #expect(started.first?["miners"] == "0")
        #expect(started.first?["address"] == "127.0.0.1:\(port)")
        let refused = try #require(objects.first { $0["message"] == "request refused" }, "\(stderr.text)")
        #expect(refused["level"] == "warning")
        #expect(refused["method"] == "GET")
        #expect(refused["route"] == "/sla/violations")
        #expect(refused["status"] == "401")
        #expect(refused["request_id"] == "refused-1")
        #expect(refused["reason"]?.hasPrefix("unauthorized") == true)
        let messages = objects.compactMap { $0["message"] }
        let down = try #require(messages.firstIndex(of: "shutting down"), "\(stderr.text)")
        let stopped = try #require(messages.firstIndex(of: "stopped"), "\(stderr.text)")
        #expect(down < stopped)
        // Hummingbird's own "Server started" and "Shutting down" would repeat ours at the default level.
        #expect(!messages.contains { $0.hasPrefix("Server started") }, "\(stderr.text)")
    }
}

/// A hub on a loopback port, for a raw request with a chosen request id.
struct HubProcessAddress {
    let port: Int
    func get(_ path: String, requestID: String) async throws -> UInt {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "X-Request-Id", value: requestID)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }
}
