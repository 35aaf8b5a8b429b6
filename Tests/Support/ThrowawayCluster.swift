import Foundation
package import PoolHubStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL 15 cluster of one test's own, so the test can stop and start the server.
/// PostgreSQL refuses to run as root; as root the cluster runs as the system user `pgci`.
///
/// The server runs in the foreground as our child (not through `pg_ctl start`, whose daemonised server
/// keeps Foundation's `Process` from ever seeing pg_ctl exit), and nothing here blocks a thread.
package final class ThrowawayCluster: Sendable {
    /// scripts/test.sh names the binaries it found (POOLHUB_TEST_PG_BIN); the Debian path otherwise.
    static let bin = ProcessInfo.processInfo.environment["POOLHUB_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    static let systemUser = "pgci"

    package static var isPossible: Bool {
        FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") && (geteuid() != 0 || getpwnam(systemUser) != nil)
    }

    let directory: String
    let port: Int
    private let server = Mutex<Process?>(nil)

    package init() async throws {
        directory = "/tmp/poolhub-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        if geteuid() == 0 { try await Self.run("/bin/chown", [Self.systemUser, directory], asSystemUser: false) }
        try await Self.run("\(Self.bin)/initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "poolhub"])
    }

    package var location: PostgresLocation {
        PostgresLocation(host: "127.0.0.1", port: port, username: "poolhub", database: "postgres")
    }

    /// Starts the server and returns once it accepts connections.
    package func start() async throws {
        let process = Self.process(
            "\(Self.bin)/postgres",
            ["-D", "\(directory)/data", "-c", "listen_addresses=127.0.0.1", "-p", "\(port)", "-k", directory, "-c", "fsync=off"])
        try process.run()
        server.withLock { $0 = process }
        for _ in 0..<100 {
            if (try? await Self.run("\(Self.bin)/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-q"])) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError("PostgreSQL did not start on port \(port)")
    }

    /// Stops the server the way an operator would (fast shutdown: sessions are ended).
    package func stop() async throws {
        guard let process = server.withLock({ $0.take() }) else { return }
        // Signalled directly: runuser, our child, need not pass signals on. SIGINT is a fast shutdown.
        guard let postmaster = postmasterID() else { throw ClusterError("no postmaster.pid") }
        kill(postmaster, SIGINT)
        try await Self.wait(for: process, "postgres")
    }

    /// Ends the server at once (SIGQUIT, immediate shutdown) and deletes the cluster.
    package func destroy() {
        if server.withLock({ $0.take() }) != nil, let postmaster = postmasterID() {
            kill(postmaster, SIGQUIT)
            for _ in 0..<100 where kill(postmaster, 0) == 0 { usleep(50_000) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func postmasterID() -> pid_t? {
        guard let text = try? String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    private static func process(_ tool: String, _ arguments: [String], asSystemUser: Bool = true) -> Process {
        let process = Process()
        if asSystemUser && geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", systemUser, "--", tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return process
    }

    private static func run(_ tool: String, _ arguments: [String], asSystemUser: Bool = true) async throws {
        let process = process(tool, arguments, asSystemUser: asSystemUser)
        try process.run()
        try await wait(for: process, "\(tool) \(arguments.joined(separator: " "))")
    }

    /// Waits for `process` without blocking a thread of the cooperative pool.
    private static func wait(for process: Process, _ what: String) async throws {
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationReason == .uncaughtSignal || process.terminationStatus == 0 else {
            throw ClusterError("\(what) exited with \(process.terminationStatus)")
        }
    }

    /// A loopback port nobody listens on right now (the kernel picks it).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ClusterError("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
