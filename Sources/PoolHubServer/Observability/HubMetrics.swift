// The Prometheus metrics.

import Foundation
import PoolHubCore
import PoolHubLive
import Prometheus
import Synchronization

/// The hub's Prometheus metrics. Counters and histograms are fed as things happen; fleet gauges
/// and per-miner scores are read from the hot state at scrape time.
final class HubMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let matched: Counter
    private let matchDuration: DurationHistogram
    private let served = Atomic<Int>(0)
    private let heartbeats: Counter
    private let heartbeatCount = Atomic<Int>(0)
    /// Match durations since the last history sample (the dashboard's p50 and p99).
    let matchLatency = LatencyWindow()
    /// The gauges of the last SLA pass this instance ran, as exposition lines.
    private let slaGauges = Mutex<[UInt8]>([])
    private let billingSyncErrors: Counter
    private let outboxPending: Gauge
    /// `poolhub_api_requests_total` by method, route and status, kept once made: the registry's lookup by
    /// labels costs more than the rest of counting a request.
    private let requestCounters = Mutex<[RequestKey: Counter]>([:])

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    init() {
        matched = registry.makeCounter(name: "poolhub_jobs_matched_total", help: "Match requests answered with at least one miner")
        matchDuration = registry.makeDurationHistogram(
            name: "poolhub_match_duration_seconds",
            buckets: [
                .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25),
            ],
            help: "Time to filter, rank and reserve for one match")
        heartbeats = registry.makeCounter(name: "poolhub_heartbeats_total", help: "Miner status updates (heartbeats) accepted")
        billingSyncErrors = registry.makeCounter(
            name: "poolhub_billing_sync_errors_total",
            help: "Usage records the coordinator did not acknowledge on an attempt (retried failures and rejections)")
        outboxPending = registry.makeGauge(
            name: "poolhub_billing_outbox_pending", help: "Usage records not yet acknowledged by the coordinator (nor rejected)")
        // Every type shows from the start, at 0, so rates and alerts need no special case.
        for metric in SLAMetric.allCases { _ = violationsOpened(metric) }
    }

    func recordBillingSyncErrors(_ count: Int) {
        if count > 0 { billingSyncErrors.increment(by: Int64(count)) }
    }

    func setOutboxPending(_ count: Int) { outboxPending.set(Double(count)) }

    /// 1 when a dependency answered at the last scrape, 0 when it did not (`database`, `redis`).
    func setDependencyUp(_ dependency: String, _ up: Bool) {
        registry.makeGauge(
            name: "poolhub_dependency_up", labels: [("dependency", dependency)], help: "Whether a dependency answered at this scrape (1) or not (0)"
        ).set(up ? 1.0 : 0.0)
    }

    /// CAPACITY_ALERT_THRESHOLD_PCT as a ratio, so alerts compare utilisation with the hub's own setting.
    func setCapacityAlertThreshold(pct: Double) {
        registry.makeGauge(name: "poolhub_capacity_alert_threshold_ratio", help: "CAPACITY_ALERT_THRESHOLD_PCT as a ratio 0..1").set(pct / 100)
    }

    func recordMatch(duration: Duration, matched didMatch: Bool) {
        matchDuration.record(duration)
        matchLatency.record(seconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        served.add(1, ordering: .relaxed)
        if didMatch { matched.increment() }
    }

    var matchesServed: Int { served.load(ordering: .relaxed) }

    func recordHeartbeat() {
        heartbeats.increment()
        heartbeatCount.add(1, ordering: .relaxed)
    }

    var heartbeatsReceived: Int { heartbeatCount.load(ordering: .relaxed) }

    func recordRequest(method: String, route: String, status: Int) {
        let key = RequestKey(method: method, route: route, status: status)
        let counter =
            requestCounters.withLock { $0[key] }
            ?? {
                let made = registry.makeCounter(
                    name: "poolhub_api_requests_total", labels: [("method", method), ("route", route), ("status", String(status))],
                    help: "HTTP requests by method, route template and status")
                requestCounters.withLock { $0[key] = made }
                return made
            }()
        counter.increment()
    }

    /// Keeps the pass's measurements as gauges and counts the violations it opened. The gauges are in base
    /// units, as Prometheus names want them: shares as ratios 0..1 (`_ratio`), times in seconds.
    func recordSLAPass(samples: [SLASample], responseTimes: [MinerAddress: ResponseTimeSummary], opened: [SLAMetric]) {
        for metric in opened { violationsOpened(metric).increment() }
        var lines: [SLAMetric: [String]] = [:]
        for s in samples {
            let name = Self.gaugeName(s.metric)
            // Addresses are [A-Za-z0-9._:-] only, so they need no label escaping.
            let miner = s.minerID.map { "miner_id=\"\($0)\"" }
            switch s.metric {
            case .responseTime:
                guard let miner, let times = s.minerID.flatMap({ responseTimes[$0] }) else { continue }
                lines[s.metric, default: []] += [
                    "\(name){\(miner),stat=\"mean\"} \(times.meanMs / 1000)",
                    "\(name){\(miner),stat=\"p95\"} \(times.p95Ms / 1000)",
                ]
            default:
                lines[s.metric, default: []].append("\(name)\(miner.map { "{\($0)}" } ?? "") \(s.value / 100)")
            }
        }
        var text = "# HELP poolhub_sla_violations_open Metrics past their threshold at the last SLA pass (open violations), by type\n"
        text += "# TYPE poolhub_sla_violations_open gauge\n"
        for metric in SLAMetric.allCases {
            text += "poolhub_sla_violations_open{type=\"\(metric.rawValue)\"} \(samples.count { $0.metric == metric && $0.isViolation })\n"
        }
        for metric in SLAMetric.allCases {
            let name = Self.gaugeName(metric)
            text += "# HELP \(name) \(Self.slaHelp[metric]!)\n# TYPE \(name) gauge\n"
            for line in lines[metric] ?? [] { text += line + "\n" }
        }
        slaGauges.withLock { $0 = Array(text.utf8) }
    }

    /// The gauge of an SLA metric: the API's `uptime_pct` is `poolhub_sla_uptime_ratio`, `response_time_ms` is
    /// `poolhub_sla_response_time_seconds`, and so on.
    static func gaugeName(_ metric: SLAMetric) -> String {
        switch metric {
        case .responseTime: "poolhub_sla_response_time_seconds"
        default: "poolhub_sla_" + metric.rawValue.replacingOccurrences(of: "_pct", with: "_ratio")
        }
    }

    private func violationsOpened(_ metric: SLAMetric) -> Counter {
        registry.makeCounter(name: "poolhub_sla_violations_total", labels: [("type", metric.rawValue)], help: "SLA violations opened, by metric")
    }

    private static let slaHelp: [SLAMetric: String] = [
        .uptime: "Share of the SLA window each miner was online, 0..1 (last SLA pass)",
        .responseTime: "Mean and 95th percentile response time of each miner's completed jobs in the SLA window, seconds (last SLA pass)",
        .completionRate: "Completed share of each miner's ended jobs in the SLA window, 0..1 (last SLA pass)",
        .capacityAvailability: "Free share of the online miners' slots, 0..1 (last SLA pass)",
    ]

    /// The Prometheus text of everything, fleet gauges refreshed from `live` first.
    func exposition(live: any LiveState, at now: Date) -> [UInt8] {
        let summary = live.summary(at: now)
        registry.makeGauge(name: "poolhub_miners_total", help: "Registered miners").set(Double(summary.total))
        registry.makeGauge(name: "poolhub_miners_online", help: "Miners with a live heartbeat").set(Double(summary.online))
        registry.makeGauge(name: "poolhub_reservations_active", help: "Slots held for matched jobs").set(
            Double(summary.activeReservations))
        registry.makeGauge(name: "poolhub_miners_available", help: "Online miners that take work").set(Double(summary.available))
        registry.makeGauge(name: "poolhub_slots", help: "Slots of the online miners").set(Double(summary.totalSlots))
        registry.makeGauge(name: "poolhub_slots_used", help: "Slots of the online miners in use (reported load or reservations)").set(
            Double(summary.usedSlots))
        var text = registry.emitToBuffer()
        text += Array("# HELP poolhub_memory_entries Entries of each in-memory map\n# TYPE poolhub_memory_entries gauge\n".utf8)
        for (map, count) in summary.entries.sorted(by: { $0.key < $1.key }) {
            text += Array("poolhub_memory_entries{map=\"\(map)\"} \(count)\n".utf8)
        }
        text += slaGauges.withLock { $0 }
        text += Array("# HELP poolhub_miner_score Current score of each registered miner\n# TYPE poolhub_miner_score gauge\n".utf8)
        for (address, score) in live.scores() {
            // Addresses are [A-Za-z0-9._:-] only, so they need no label escaping.
            text += Array("poolhub_miner_score{address=\"\(address)\"} \(score)\n".utf8)
        }
        text += Array(ProcessMetrics.exposition().utf8)
        return text
    }
}
