import Foundation
import PoolHubStore

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 cluster of one test's own, so the test can stop and start the server.
/// PostgreSQL refuses to run as root; as root the cluster runs as the system user `pgci`.
struct ThrowawayCluster: Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"
    static let systemUser = "pgci"

    static var isPossible: Bool {
        FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") && (geteuid() != 0 || getpwnam(systemUser) != nil)
    }

    let directory: String
    let port: Int

    init() throws {
        directory = "/tmp/poolhub-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if geteuid() == 0 { try Self.run("/bin/chown", [Self.systemUser, directory], asSystemUser: false) }
        try Self.run("\(Self.bin)/initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "poolhub"])
        port = try Self.freePort()
    }

    var location: PostgresLocation {
        PostgresLocation(host: "127.0.0.1", port: port, username: "poolhub", database: "postgres")
    }

    func start() throws {
        try Self.run(
            "\(Self.bin)/pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off", "start",
            ])
    }

    func stop() throws {
        try Self.run("\(Self.bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
    }

    func destroy() {
        try? Self.run("\(Self.bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func run(_ tool: String, _ arguments: [String], asSystemUser: Bool = true) throws {
        let process = Process()
        if asSystemUser && geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", systemUser, "--", tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError("\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
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
