import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOPosix

/// A throwaway `redis-server` on a free loopback port, stopped at the end of each test.
/// The binary comes from `POOLHUB_TEST_REDIS_SERVER`, else `/usr/bin/redis-server`.
package final class RedisServerProcess: @unchecked Sendable {  // used by one test task at a time
    package static let binary: String? = {
        let candidate = ProcessInfo.processInfo.environment["POOLHUB_TEST_REDIS_SERVER"] ?? "/usr/bin/redis-server"
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    package static var isAvailable: Bool { binary != nil }

    package let port: Int
    package var url: String { "redis://127.0.0.1:\(port)" }
    private let extraArguments: [String]
    private var process: Process?

    private init(port: Int, extraArguments: [String]) {
        self.port = port
        self.extraArguments = extraArguments
    }

    /// Runs `body` with a fresh server and always stops it afterwards.
    package static func with<T>(
        arguments: [String] = [],
        _ body: (RedisServerProcess) async throws -> T
    ) async throws -> T {
        // The free port is chosen by binding and releasing it, so another process may take it first: then another.
        var attempt = 0
        while true {
            attempt += 1
            let server = RedisServerProcess(port: try await freePort(), extraArguments: arguments)
            do {
                try await server.start()
            } catch let failure as StartFailed where attempt < 3 {
                _ = failure
                continue
            }
            defer { server.stop() }
            return try await body(server)
        }
    }

    /// Starts (again) on the same port and returns once it accepts connections.
    package func start() async throws {
        precondition(process == nil, "already running")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments =
            ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while !(await acceptsConnections()) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw StartFailed(port: port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGKILL and wait for exit, so the port is free for a restart. Not SIGTERM: test worker threads
    /// block signals and the child inherits that mask, so redis-server would never see a SIGTERM.
    package func stop() {
        guard let process else { return }
        self.process = nil
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    package struct StartFailed: Error, CustomStringConvertible {
        package let port: Int
        package var url: String { "redis://127.0.0.1:\(port)" }
        package var description: String { "redis-server did not start on port \(port)" }
    }

    private func acceptsConnections() async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.close().get()
            return true
        } catch {
            return false
        }
    }

    /// Binds port 0 to let the kernel pick a free port, then releases it for redis-server.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close().get()
        return port
    }
}
