import Foundation
import PoolHubCore
@testable import PoolHubServer
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheDocs() throws {
        let c = try HubConfiguration.load(environment: ["SCORING_CONFIG": scoringFilePath])
        #expect(c.host == "0.0.0.0" && c.port == 8000)
        #expect(c.storage == .sqlite(path: "data/poolhub.sqlite"))
        #expect(c.heartbeatTTL == 45 && c.reservationTTL == 600)
        #expect(c.scoring == .standard)
        #expect(c.apiKeys.isOpen)
    }

    @Test func aBadSettingNamesItsKey() {
        let cases: [([String: String], String)] = [
            (["API_PORT": "eighty"], "API_PORT"), (["API_PORT": "70000"], "API_PORT"),
            (["HEARTBEAT_TTL_SECONDS": "0"], "HEARTBEAT_TTL_SECONDS"), (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
            (["POOLHUB_API_KEYS": "boss:abcdefghij"], "POOLHUB_API_KEYS"), (["POOLHUB_API_KEYS": "short"], "POOLHUB_API_KEYS"),
            (["DATABASE_URL": "mysql://db"], "DATABASE_URL"), (["REDIS_URL": "redis://localhost:6379"], "REDIS_URL"),
            (["SCORING_CONFIG": "/nonexistent/scoring.toml"], "SCORING_CONFIG"), (["MIN_SUCCESS_RATE": "2"], "MIN_SUCCESS_RATE"),
            (["MAX_MINER_SCORE": "-1"], "MAX_MINER_SCORE"), (["RESERVATION_TTL_SECONDS": "soon"], "RESERVATION_TTL_SECONDS"),
            (["SLA_MIN_OBSERVATION_SECONDS": "-1"], "SLA_MIN_OBSERVATION_SECONDS"),
        ]
        for (environment, key) in cases {
            #expect(throws: ConfigurationError.self) { try HubConfiguration.load(environment: environment) }
            do {
                _ = try HubConfiguration.load(environment: environment)
            } catch {
                #expect(error.key == key)
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func environmentOverridesScoringFile() throws {
        let c = try HubConfiguration.load(environment: [
            "SCORING_CONFIG": scoringFilePath, "SCORE_UPDATE_INTERVAL": "30", "MIN_SUCCESS_RATE": "0.7", "MAX_MINER_SCORE": "100",
            "POOLHUB_API_KEYS": "plainkey123, admin:adminkey123", "DATABASE_URL": "sqlite:/tmp/x.sqlite",
        ])
        #expect(c.scoring.updateInterval == 30)
        #expect(c.scoring.thresholds.minSuccessRate == 0.7)
        #expect(c.scoring.maxScore == 100)
        #expect(c.apiKeys.role(of: "plainkey123") == .coordinator)
        #expect(c.apiKeys.role(of: "adminkey123") == .admin)
        #expect(c.apiKeys.role(of: "other") == nil)
        #expect(c.storage == .sqlite(path: "/tmp/x.sqlite"))
    }

    @Test func dotEnvLines() {
        let values = HubConfiguration.parseDotEnv(
            """
            # comment
            API_PORT=9000
            export LOG_LEVEL = debug
            POOLHUB_API_KEYS="admin:a=b=c"
            not a setting
            """)
        #expect(values == ["API_PORT": "9000", "LOG_LEVEL": "debug", "POOLHUB_API_KEYS": "admin:a=b=c"])
    }
}

@Suite struct ScoringFileTests {
    @Test func theShippedFileHoldsTheDocsPageValues() throws {
        let text = try String(contentsOfFile: scoringFilePath, encoding: .utf8)
        #expect(try ScoringFile.parse(text, file: "scoring.toml") == .standard)
    }

    @Test func weightsAndThresholdsAreReadFromToml() throws {
        let config = try ScoringFile.parse(
            """
            [scoring]
            update_interval = 30
            decay_factor = 0.9
            [weights]
            success_rate = 0.7
            latency = 0.1
            availability = 0.1
            reputation = 0.1
            [thresholds]
            min_success_rate = 0.5
            max_latency = 2000
            min_availability = 0.9
            """, file: "scoring.toml")
        #expect(config.updateInterval == 30)
        #expect(config.decay.dailyFactor == 0.9)
        #expect(config.weights == .init(successRate: 0.7, latency: 0.1, availability: 0.1, reputation: 0.1))
        #expect(config.thresholds == .init(minSuccessRate: 0.5, maxLatency: 2000, minAvailability: 0.9))
        // The weights read are the ones scoring uses.
        let card = Scorer(config: config, heartbeatTTL: 45).card(
            stats: MinerStats(decayedAt: t0), uptime: UptimeLedger(), stake: 0, at: t0)
        #expect(card.successRate.weight == 0.7)
        #expect(abs(card.score - (0.7 * 0.9 + 0.1 * 0.5 + 0.1 * 0.9)) < 1e-12)
    }

    @Test func badScoringFilesAreRefusedByKey() {
        let cases = [
            ("[scoring]\ndecay_factor = 2", "decay_factor"), ("[weights]\nlatency = \"high\"", "latency"),
            ("[weights]\nsuccess_rate = 0.9", "[weights]"), ("[scoring\n", "not valid TOML"),
        ]
        for (text, fragment) in cases {
            do {
                _ = try ScoringFile.parse(text, file: "scoring.toml")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
    }
}

/// The repository's `config/scoring.toml`, found from this source file.
let scoringFilePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("config/scoring.toml").path
