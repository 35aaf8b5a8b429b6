import Foundation
import Logging
import PoolHubStore
@testable import PoolHubServer
import PoolHubTestSupport
import Testing
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// A real `poolhub serve` with a small fleet doing real work: miners of two models heartbeating, matches
/// with and without reservations, results, an SLA pass, and samples taken every second. For the tests that
/// look at the hub from outside (a browser, Prometheus, the admin CLI).
struct BusyHub {
    let process: HubProcess
    let key: String?
    let metricsPort: Int?
    let tokens: [String: String]

    static let adminKey = "admin-key-for-browsers"

    /// Starts the hub (its own fresh database and namespace in the shared pass) and gives it work. With
    /// `capacityHistory` its database first gets a week of capacity snapshots ending now, so the forecast has points.
    static func start(
        keys: Bool, metrics: Bool = false, capacityHistory: Bool = false, extra: [String: String] = [:]
    ) async throws
        -> BusyHub
    {
        var environment = try await SharedTestServers.freshEnvironment()
        environment["HISTORY_SAMPLE_SECONDS"] = "1"
        // The hub works for seconds, not a heartbeat TTL: its SLA pass must judge uptime all the same.
        environment["SLA_MIN_OBSERVATION_SECONDS"] = "0"
        if keys { environment["POOLHUB_API_KEYS"] = "admin:\(adminKey),coordinator:coordinator-key-42" }
        let metricsPort = metrics ? try freeLoopbackPort() : nil
        if let metricsPort { environment["METRICS_PORT"] = String(metricsPort) }
        environment.merge(extra) { $1 }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-busy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if environment["DATABASE_URL"] == nil { environment["DATABASE_URL"] = "sqlite:\(directory.path)/hub.sqlite" }
        if capacityHistory {
            let seeding = try await Hub.open(try HubConfiguration.load(environment: environment), logger: Logger(label: "seed"))
            let now = Date()
            let week = syntheticWeek(from: now.addingTimeInterval(-168 * 3_600))
            _ = try await seeding.store.recordSLAPass(SLAPassRecord(at: now, samples: [], snapshots: week, pruneBefore: .distantPast))
            await seeding.close()
        }
        let process = try await HubProcess.start(in: directory, environment: environment)
        let key = keys ? adminKey : nil
        var tokens: [String: String] = [:]
        for (address, model, slots) in [("0xa1", "llama3.2", 4), ("0xa2", "llama3.2", 2), ("0xb1", "mistral", 4)] {
            let r = try await process.send(
                .POST, "/api/v1/miners/register",
                json: """
                    {"address": "\(address)", "endpoint": "http://\(address).example.com", "capabilities": {"models": ["\(model)"], "gpu_memory": 24576, "max_concurrent_jobs": \(slots)}, "stake": 1000}
                    """)
            tokens[address] = try #require(r.json["token"] as? String)
        }
        let hub = BusyHub(process: process, key: key, metricsPort: metricsPort, tokens: tokens)
        try await hub.work(seconds: 2.5)
        // Two held reservations and a pass that finds the slow miner's response time over the threshold.
        for job in ["held-1", "held-2"] {
            _ = try await process.send(
                .POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "llama3.2", "job_id": "\#(job)"}"#, key: key)
        }
        let pass = try await process.send(.POST, "/sla/metrics/collect", json: "{}", key: key)
        #expect(pass.status == 200)
        return hub
    }

    /// Heartbeats, matches and results for about `seconds` (each second gets samples with traffic in them).
    func work(seconds: Double) async throws {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var job = 0
        while ContinuousClock.now < end {
            for (address, token) in tokens {
                _ = try await process.send(.POST, "/api/v1/miners/\(address)/status", json: #"{"current_load": 1}"#, token: token)
            }
            for model in ["llama3.2", "mistral", "nobody-serves-this"] {
                job += 1
                let id = "job-\(UUID().uuidString.prefix(8))-\(job)"
                let matched = try await process.send(
                    .POST, "/api/v1/match", json: #"{"job_type": "inference", "model": "\#(model)", "job_id": "\#(id)"}"#, key: key)
                if let first = (matched.json["miners"] as? [[String: Any]])?.first?["address"] as? String {
                    let time = first == "0xa2" ? 2_400 : 700
                    _ = try await process.send(
                        .POST, "/api/v1/jobs/\(id)/result",
                        json: #"{"address": "\#(first)", "status": "completed", "response_time_ms": \#(time), "gpu_seconds": 1.5}"#, key: key)
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop() { process.stop() }
}

/// A loopback port nobody listens on right now (the kernel picks it).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CocoaError(.fileNoSuchFile) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw CocoaError(.fileNoSuchFile) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Where the repository is, for the files the tests check (deploy/, Tests/Browser/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Whether a tool is on PATH (or at an absolute path).
func toolPath(_ name: String) -> String? {
    for directory in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
    }
    return nil
}

/// CI must run the browser and Prometheus tests: there, a missing tool fails instead of skipping.
let onCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// Runs a tool to its end; its exit status and what it printed (stdout and stderr together).
func runTool(_ path: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    let collected = OutputCollector()
    pipe.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    pipe.fileHandleForReading.readabilityHandler = nil
    collected.append(pipe.fileHandleForReading.readDataToEndOfFile())
    return (process.terminationStatus, collected.text)
}

final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
