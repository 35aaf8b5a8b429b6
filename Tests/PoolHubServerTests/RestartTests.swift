import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The real `poolhub` binary in a child process on a loopback port.
final class HubProcess: Sendable {
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static var binary: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("poolhub")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/poolhub")
    }

    /// Runs `poolhub serve` and waits for its "listening" line (port 0 lets the kernel pick).
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(in directory: URL, environment: [String: String] = [:]) async throws -> HubProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"]
        process.currentDirectoryURL = directory
        process.environment = ["PATH": "/usr/bin:/bin", "LOG_LEVEL": "warning"].merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        // Never the runner's own stderr: a hub outliving a crashed test must not hold the runner's pipes open.
        process.standardError = FileHandle.nullDevice
        let seen = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            seen.withLock { $0 += chunk }
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let line = seen.withLock({ $0 }).split(separator: "\n").first(where: { $0.hasPrefix("poolhub listening on ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                output.fileHandleForReading.readabilityHandler = nil
                return HubProcess(process: process, port: port)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "poolhub did not start: \(seen.withLock { $0 })"])
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func send(
        _ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil, key: String? = nil
    ) async throws
        -> (status: UInt, json: [String: Any], headers: HTTPHeaders)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "X-API-Key", value: key) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        return (response.status.code, object, response.headers)
    }
}

@Suite(.serialized) struct RestartTests {
    @Test func everythingSurvivesSIGKILL() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Pass 2 runs it on PostgreSQL + Redis (the same database and namespace across the restart), pass 1 on SQLite.
        let environment = try await SharedTestServers.freshEnvironment()
        var hub = try await HubProcess.start(in: directory, environment: environment)
        defer { hub.stop() }
        let storage = try await hub.send(.GET, "/api/v1/status").json["storage"] as? [String: Any]
        #expect(storage?["database"] as? String == (SharedTestServers.enabled ? "postgresql" : "sqlite"))

        let registered = try await hub.send(
            .POST, "/api/v1/miners/register",
            json:
                #"{"address": "0xAbC", "endpoint": "http://m.example.com", "capabilities": {"models": ["llama3.2"], "gpu_memory": 24576, "max_concurrent_jobs": 2}, "stake": 500}"#
        )
        #expect(registered.status == 201)
        let token = try #require(registered.json["token"] as? String)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xabc/status", json: #"{"current_load": 1}"#, token: token).status == 200)
        let matched = try await hub.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "j1"}"#)
        #expect((matched.json["miners"] as? [[String: Any]])?.count == 1)
        let done = #"{"address": "0xabc", "status": "completed", "response_time_ms": 1200, "gpu_seconds": 2}"#
        #expect(try await hub.send(.POST, "/api/v1/jobs/j1/result", json: done).json["counted"] as? Bool == true)
        #expect(try await hub.send(.POST, "/api/v1/jobs/j2/result", json: #"{"address": "0xabc", "status": "failed"}"#).status == 200)
        let before = try await hub.send(.GET, "/api/v1/miners/0xabc")

        hub.kill9()
        hub = try await HubProcess.start(in: directory, environment: environment)

        let after = try await hub.send(.GET, "/api/v1/miners/0xabc")
        #expect(after.status == 200)
        for key in ["address", "endpoint", "registered_at", "stake"] {
            #expect("\(after.json[key] ?? "-")" == "\(before.json[key] ?? "+")", "\(key)")
        }
        let stats = try #require(after.json["stats"] as? [String: Any])
        #expect(stats["jobs_completed"] as? Int == 1)
        #expect(stats["jobs_failed"] as? Int == 1)
        // Sum and count decay with time by the same factor; their quotient keeps 1200 up to rounding.
        let average = try #require(stats["avg_response_time_ms"] as? Double)
        #expect(abs(average - 1200) < 1e-6, "\(average)")
        // Online through the restart grace, with its last status.
        let status = try #require(after.json["status"] as? [String: Any])
        #expect(status["online"] as? Bool == true)
        #expect(status["current_load"] as? Int == 1)
        // The token still opens the miner, and only it.
        #expect(try await hub.send(.POST, "/api/v1/miners/0xabc/status", json: "{}", token: token).status == 200)
        #expect(try await hub.send(.POST, "/api/v1/miners/0xabc/status", json: "{}", token: "phm_guess").status == 401)
        let hijack = #"{"address": "0xabc", "endpoint": "http://evil.example.com", "capabilities": {"models": ["x"], "max_concurrent_jobs": 1}}"#
        #expect(try await hub.send(.POST, "/api/v1/miners/register", json: hijack).status == 409)
        // Results are still counted once.
        #expect(try await hub.send(.POST, "/api/v1/jobs/j1/result", json: done).json["counted"] as? Bool == false)
        let again = try await hub.send(.POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "j3"}"#)
        #expect((again.json["miners"] as? [[String: Any]])?.first?["address"] as? String == "0xabc")
    }

    @Test func migrateAppliesOnceAndExits() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for _ in 0..<2 {
            let process = Process()
            process.executableURL = HubProcess.binary
            process.arguments = ["migrate"]
            process.environment = ["PATH": "/usr/bin:/bin", "LOG_LEVEL": "warning"]
            process.currentDirectoryURL = directory
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("migrations applied"))
        }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/poolhub.sqlite").path))
    }

    @Test func metricsAlsoServedOnMetricsPort() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let metricsPort = Int.random(in: 20_000..<40_000)
        let hub = try await HubProcess.start(in: directory, environment: ["METRICS_PORT": String(metricsPort)])
        defer { hub.stop() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics")
        request.method = .GET
        var text = ""
        // The metrics listener starts beside the API one; give it a moment to bind.
        for _ in 0..<100 where text.isEmpty {
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)) {
                text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(text.contains("poolhub_miners_total"))
    }

    @Test func aBadSettingStopsStartUpWithOneLine() throws {
        let process = Process()
        process.executableURL = HubProcess.binary
        process.arguments = ["serve"]
        process.environment = ["PATH": "/usr/bin:/bin", "API_PORT": "eighty"]
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 78)
        #expect(text.split(separator: "\n").count == 1)
        #expect(text.contains("API_PORT"))
    }
}
