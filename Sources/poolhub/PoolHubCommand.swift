// The poolhub command line: serve and migrate, and the admin commands that talk to a running hub.

import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PoolHubServer
import ServiceLifecycle

@main
struct PoolHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poolhub",
        abstract: "Pool Hub: the matchmaking gateway between a coordinator's jobs and GPU miners.",
        discussion: """
            Settings come from the environment and from a .env file in the working directory (the real \
            environment wins): API_HOST, API_PORT, DATABASE_URL, METRICS_PORT, LOG_LEVEL, POOLHUB_API_KEYS, \
            HEARTBEAT_TTL_SECONDS, RESERVATION_TTL_SECONDS, SCORING_CONFIG and the rest listed in README.md.
            The admin commands (status, miners, match, sla, billing) talk HTTP to a running hub: --url (or \
            POOLHUB_URL, default http://127.0.0.1:8000), --api-key (or POOLHUB_API_KEY), --json for the raw answer.
            """,
        subcommands: [Serve.self, Migrate.self, StatusCommand.self, MinersCommand.self, MatchCommand.self, SLACommand.self, BillingCommand.self],
        defaultSubcommand: Serve.self)
}

/// Where every command reads the hub's configuration from.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "A KEY=VALUE file read before the environment (the environment wins).")
    var envFile = ".env"

    func load() throws -> HubConfiguration {
        var environment: [String: String] = [:]
        if let text = try? String(contentsOfFile: envFile, encoding: .utf8) {
            environment = HubConfiguration.parseDotEnv(text)
        }
        environment.merge(ProcessInfo.processInfo.environment) { _, real in real }
        do {
            return try HubConfiguration.load(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("poolhub: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the hub: HTTP API, metrics and background services, until SIGTERM or SIGINT.",
        discussion: """
            Applies pending migrations first. With no DATABASE_URL the hub keeps its data in SQLite at \
            data/poolhub.sqlite and its hot state (heartbeats, reservations, scores) in this process. \
            DATABASE_URL=postgresql://… and REDIS_URL=redis://… let several instances share one fleet.
            """)

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "Listen on this address (overrides API_HOST).") var host: String?
    @Option(help: "Listen on this port (overrides API_PORT; 0 picks a free one).") var port: Int?

    func run() async throws {
        var configuration = try options.load()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        bootstrapLogging(configuration.logFormat)
        var logger = Logger(label: "poolhub")
        logger.logLevel = configuration.logLevel
        let hub = try Hub(configuration, logger: logger)
        let host = configuration.host
        let services = buildServiceGroup(hub, logger: logger) { port in
            // One machine-readable line, for scripts and tests that asked for port 0.
            FileHandle.standardOutput.write(Data("poolhub listening on \(host):\(port)\n".utf8))
        }
        do {
            try await services.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
            await hub.close()
            // One clean line, not a dump: the usual cause is another process on the port. The error does not say
            // which listener failed, so with METRICS_PORT both are named.
            var address = "\(host):\(configuration.port)"
            if let metrics = configuration.metricsPort { address += " (API) or \(host):\(metrics) (METRICS_PORT)" }
            FileHandle.standardError.write(Data("poolhub: cannot listen on \(address): \(String(cString: strerror(error.errnoCode)))\n".utf8))
            throw ExitCode(69)  // EX_UNAVAILABLE
        } catch {
            await hub.close()
            throw error
        }
        await hub.close()
        logger.notice("stopped")
    }
}

/// Log lines as LOG_FORMAT says: swift-log's text lines, or one JSON object a line.
func bootstrapLogging(_ format: LogFormat) {
    switch format {
    case .text: LoggingSystem.bootstrap { label in TextLogHandler(label: label) }
    case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: "Safe to run again: applied migrations are recorded and skipped.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.load()
        bootstrapLogging(configuration.logFormat)
        var logger = Logger(label: "poolhub")
        logger.logLevel = configuration.logLevel
        let hub = try Hub(configuration, logger: logger)
        do {
            try await buildMigrationGroup(hub, logger: logger).run()
        } catch {
            await hub.close()
            throw error
        }
        await hub.close()
        print("migrations applied")
    }
}
