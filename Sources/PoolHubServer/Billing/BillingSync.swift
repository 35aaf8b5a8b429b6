// Delivering the usage outbox to the coordinator, usage reports and invoices.

import Foundation
import Logging
import PoolHubCore
import PoolHubStore
import ServiceLifecycle
import Synchronization

/// Delivers the usage outbox to the coordinator: each pending record at least once, keyed by its event
/// id so that the coordinator keeps it once.
///
/// No record is ever sent by two passes at once: passes of this process run one after another, and a
/// pass leases the records it sends in the database (another instance's pass skips them) for longer than
/// sending them can take. A hub killed mid-pass leaves leased records behind; they are sent again once
/// the lease runs out, and the coordinator recognises them by their key.
final class BillingSync: Sendable {
    enum Mode: Sendable {
        /// The background pass: only records whose backoff is over.
        case scheduled
        /// An operator's `POST /sla/billing/sync`: everything pending, backoff or not.
        case manual
    }

    /// What one pass did (the answer of `POST /sla/billing/sync`).
    struct Report: Sendable, Equatable {
        var sent = 0
        var alreadyAcknowledged = 0
        var rejected = 0
        /// Retriable failures in this pass.
        var failed = 0
        var pending = 0
        /// The earliest retry this pass scheduled.
        var nextRetryAt: Date?
    }

    let store: any UsageStore
    let configuration: BillingConfiguration
    let coordinator: CoordinatorClient?
    private let clock: any HubClock
    private let metrics: HubMetrics
    private let logger: Logger
    private let gate = PassGate()
    private let lastSync = Mutex<Date?>(nil)
    private let instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let passes = Atomic<Int>(0)
    private let random = Mutex(SplitMix64())

    init(store: any UsageStore, configuration: BillingConfiguration, clock: any HubClock, metrics: HubMetrics, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        coordinator = configuration.coordinatorURL.map {
            CoordinatorClient(baseURL: $0, apiKey: configuration.coordinatorAPIKey, timeout: configuration.requestTimeout)
        }
    }

    /// When this instance last finished a pass that could send.
    var lastSyncAt: Date? { lastSync.withLock { $0 } }

    /// Runs one pass. A manual pass waits for one already running in this process; a scheduled pass
    /// skips its turn instead (nil).
    func run(_ mode: Mode) async throws -> Report? {
        guard await gate.enter(waiting: mode == .manual) else { return nil }
        defer { gate.leave() }
        return try await pass(mode)
    }

    private func pass(_ mode: Mode) async throws -> Report {
        let started = clock.now()
        let recorded = try await store.recordAPICalls(
            endedBy: started.addingTimeInterval(-configuration.apiCallWindowGrace), pricing: UsagePricing(prices: configuration.prices),
            at: started)
        do {
            try await store.forgetJobTenants(matchedBefore: started.addingTimeInterval(-configuration.jobTenantRetention))
        } catch {
            logger.warning("could not forget old job tenants", metadata: ["error": "\(error)"])
        }
        var report = Report()
        if let coordinator {
            try await deliver(mode, via: coordinator, into: &report)
            lastSync.withLock { $0 = clock.now() }
        }
        report.pending = try await store.pendingUsageCount()
        metrics.setOutboxPending(report.pending)
        if recorded + report.sent + report.alreadyAcknowledged + report.rejected + report.failed > 0 {
            logger.info(
                "billing sync pass",
                metadata: [
                    "mode": "\(mode)", "api_call_records": "\(recorded)", "sent": "\(report.sent)",
                    "already_acknowledged": "\(report.alreadyAcknowledged)", "rejected": "\(report.rejected)",
                    "failed": "\(report.failed)", "pending": "\(report.pending)",
                ])
        }
        return report
    }

    /// Claims, sends and settles records a claim at a time, until none is left, the pass's bound is
    /// reached, or a whole claim failed (the coordinator is down: the rest waits for its backoff).
    private func deliver(_ mode: Mode, via coordinator: CoordinatorClient, into report: inout Report) async throws {
        let owner = "\(instance)-\(passes.add(1, ordering: .relaxed).newValue)"
        var attempted = 0
        while attempted < configuration.recordsPerPass, !Task.isCancelled, !Task.isShuttingDownGracefully {
            let now = clock.now()
            let claimed = try await store.claimUsage(
                OutboxClaim(
                    owner: owner, now: now, leaseUntil: now.addingTimeInterval(configuration.lease),
                    limit: min(configuration.claimSize, configuration.recordsPerPass - attempted), ignoringBackoff: mode == .manual))
            guard !claimed.isEmpty else { return }
            attempted += claimed.count
            let answers = await send(claimed, via: coordinator)
            var settlements: [Settlement] = []
            var acknowledged = 0
            var settled = 0
            for (entry, answer) in zip(claimed, answers) {
                let outcome = self.outcome(of: answer, for: entry)
                switch outcome {
                case .acknowledged(let status):
                    if status == 409 { report.alreadyAcknowledged += 1 } else { report.sent += 1 }
                    acknowledged += 1
                    settled += 1
                case .rejected(let status, let reason):
                    report.rejected += 1
                    settled += 1
                    logger.warning(
                        "the coordinator rejected a usage record; it stays rejected",
                        metadata: ["event_id": "\(entry.record.eventID)", "status": "\(status)", "reason": "\(reason)"])
                case .failed(_, _, let retryAt):
                    report.failed += 1
                    report.nextRetryAt = min(report.nextRetryAt ?? retryAt, retryAt)
                }
                settlements.append(Settlement(eventID: entry.record.eventID, outcome: outcome))
            }
            metrics.recordBillingSyncErrors(claimed.count - acknowledged)
            try await store.settleUsage(settlements, owner: owner, at: clock.now())
            if settled == 0 {
                if case .failed(_, let reason, _) = settlements.first?.outcome {
                    logger.warning("the coordinator's billing API is failing; pending usage waits for its retry", metadata: ["error": "\(reason)"])
                }
                return
            }
        }
    }

    private func outcome(of answer: CoordinatorClient.Answer, for entry: OutboxEntry) -> DeliveryOutcome {
        switch answer {
        case .status(let status, let body):
            switch DeliveryVerdict(status: status) {
            case .acknowledged: return .acknowledged(status: status)
            case .rejected: return .rejected(status: status, reason: "HTTP \(status): \(CoordinatorClient.excerpt(body))")
            case .retry:
                return .failed(status: status, reason: "HTTP \(status): \(CoordinatorClient.excerpt(body))", retryAt: retryAt(after: entry))
            }
        case .unreachable(let reason):
            return .failed(status: nil, reason: reason, retryAt: retryAt(after: entry))
        }
    }

    private func retryAt(after entry: OutboxEntry) -> Date {
        let jitter = random.withLock { Double($0.next() >> 11) / Double(1 << 53) }
        return clock.now().addingTimeInterval(configuration.backoff.delay(afterFailures: entry.attempts + 1, jitter: jitter))
    }

    /// Sends `entries`, at most `concurrentRequests` at a time; the answers in their order.
    private func send(_ entries: [OutboxEntry], via coordinator: CoordinatorClient) async -> [CoordinatorClient.Answer] {
        await withTaskGroup(of: (Int, CoordinatorClient.Answer).self) { group in
            var answers = [CoordinatorClient.Answer?](repeating: nil, count: entries.count)
            var next = 0
            func start() {
                let i = next
                next += 1
                group.addTask { (i, await coordinator.send(entries[i].record)) }
            }
            while next < min(configuration.concurrentRequests, entries.count) { start() }
            for await (i, answer) in group {
                answers[i] = answer
                if next < entries.count { start() }
            }
            return answers.map { $0 ?? .unreachable("not sent") }
        }
    }

    /// Usage of `filter`, priced, with the outbox's state and up to 100 rejected records.
    func usage(_ filter: UsageFilter) async throws -> UsageReport {
        UsageReport(
            try await store.usageSummary(filter, rejectedLimit: 100), filter: filter, prices: configuration.prices,
            syncEnabled: configuration.syncEnabled, lastSyncAt: lastSyncAt)
    }

    /// An operator's pass: sends everything pending now, backoff or not.
    func syncNow() async throws -> Report {
        guard coordinator != nil, let report = try await run(.manual) else { throw HubError.billingSyncOff }
        return report
    }

    /// Asks the coordinator for an invoice; its answer when it gave one (status and JSON body).
    func requestInvoice(tenantID: String, from start: Date, to end: Date) async throws -> (status: Int, body: [UInt8]) {
        guard let coordinator else { throw HubError.billingSyncOff }
        switch await coordinator.requestInvoice(tenantID: tenantID, periodStart: start, periodEnd: end) {
        case .unreachable(let reason):
            logger.warning("invoice request failed: the coordinator did not answer", metadata: ["error": "\(reason)"])
            throw HubError.coordinatorUnreachable(reason)
        case .status(let status, let body) where (200..<300).contains(status) && JSONValue.parse(body) != nil:
            return (status, body)
        case .status(let status, let body):
            logger.warning("invoice request failed: the coordinator answered badly", metadata: ["status": "\(status)"])
            throw HubError.coordinatorFailed(status: status, excerpt: CoordinatorClient.excerpt(body))
        }
    }

    /// The number of pending records, or nil when storage does not answer within `wait` (status and
    /// metrics must not hang on a database outage; the query may finish later, unobserved).
    func pendingCount(within wait: Duration) async -> Int? {
        let answer = FirstAnswer<Int?>()
        return await withCheckedContinuation { continuation in
            answer.deliver(to: continuation)
            Task { answer.give(try? await self.store.pendingUsageCount()) }
            Task {
                try? await Task.sleep(for: wait)
                answer.give(nil)
            }
        }
    }
}

/// Resumes a continuation with whichever answer comes first.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func deliver(to c: CheckedContinuation<Value, Never>) { continuation.withLock { $0 = c } }

    func give(_ value: Value) {
        continuation.withLock { c in
            c?.resume(returning: value)
            c = nil
        }
    }
}
