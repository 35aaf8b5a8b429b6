// Counting match requests for api_calls billing (group commit).

import Foundation
import Logging
import PoolHubCore
import PoolHubStore

/// Counts match requests per tenant and window for `api_calls` billing, and remembers the tenant of
/// each matched job so that its result is billed to it.
///
/// Matching is the hot path (in memory, thousands per second), so there is no write per match: the
/// counts that arrive while one write is in flight go together in the next (group commit), as one
/// upsert per tenant and window. A killed hub loses no answered call:
/// - With a journal (the embedded hub, next to its SQLite file), a match is answered once its count is
///   appended there (one `write`, in the page cache, as durable against `kill -9` as a SQLite commit);
///   the write follows, and a restart stores what the journal holds and storage does not.
/// - Without one (PostgreSQL), a match is answered once the write carrying its count is stored.
///
/// Billing never holds matching up for long: a waiting caller waits at most `patience` (on the hub's clock)
/// however long the write takes, and not at all after a failed one; their counts stay queued in memory,
/// written as soon as storage answers again (only a kill during a database outage loses them).
final class APICallMeter: Sendable {
    /// How long a match may wait for the write of its count before it is answered anyway.
    static let patience = Duration.milliseconds(250)

    /// Job tenants held in memory while storage is down, at most (beyond, a result falls back to the default tenant).
    static let jobLimit = 100_000

    private let writer: GroupCommit<APICallBatch>
    private let journal: CommitJournal?
    private let store: any UsageStore
    private let window: Int64
    private let defaultTenant: String
    private let logger: Logger

    /// `journal`: where counts are kept from their match's answer until stored (see above); `recover()` first.
    init(store: any UsageStore, window: Int64, defaultTenant: String, journal: CommitJournal? = nil, clock: any HubClock, logger: Logger) {
        self.store = store
        self.window = window
        self.defaultTenant = defaultTenant
        self.journal = journal
        self.logger = logger
        let transition: @Sendable (GroupCommit<APICallBatch>.Transition) -> Void = { transition in
            switch transition {
            case .failing(let error):
                logger.warning(
                    "match request counts cannot be stored; they are kept in memory and retried", metadata: ["error": "\(error)"])
            case .recovered:
                logger.notice("match request counts are being stored again")
            }
        }
        writer =
            if let journal {
                GroupCommit(patience: Self.patience, clock: clock, journal: journal, transition: transition)
            } else {
                GroupCommit(.keepAndRetry(patience: Self.patience), clock: clock, transition: transition)
            }
    }

    /// Stores the counts a killed hub left in the journal and not in storage, then opens the journal.
    /// Before the first match: until it ran, matches wait for their write as without a journal.
    func recover() async throws {
        guard let journal else { return }
        let stored = try await store.storedJournalSegment()
        let recovery = try journal.recover(storedThrough: stored)
        var batch = APICallBatch()
        var unreadable = 0
        for line in recovery.lines {
            if let call = APICallBatch.Call(journalLine: line) { batch.add(call) } else { unreadable += 1 }
        }
        if !recovery.lines.isEmpty {
            try await Self.write(batch, segment: recovery.highestSegment, to: store)
            logger.notice(
                "stored the match request counts a stopped hub had journaled",
                metadata: ["calls": "\(batch.counts.values.reduce(0, +))", "unreadable_lines": "\(unreadable)"])
        }
        try journal.start(after: max(stored, recovery.highestSegment))
    }

    /// Matches waiting for the write of their count.
    var waiting: Int { writer.waitingCallers }

    /// Counts one answered match request of `tenant` (nil: the default tenant) and remembers `jobID`'s
    /// tenant; returns once that is stored, or sooner while storage is slow or failing.
    func count(tenant requested: String?, jobID: String?, at now: Date) async {
        let tenant = requested ?? defaultTenant
        let call = APICallBatch.Call(
            tenantID: tenant, window: APICallWindow.containing(now, length: window),
            // The default tenant is the fallback anyway: no row needed.
            job: jobID.flatMap { tenant == defaultTenant ? nil : JobTenant(jobID: $0, tenantID: tenant, matchedAt: now) })
        let store = self.store
        try? await writer.submit(call) { batch, segment in try await Self.write(batch, segment: segment, to: store) }
    }

    private static func write(_ batch: APICallBatch, segment: Int64?, to store: any UsageStore) async throws {
        try await store.addAPICalls(
            batch.counts.map { APICallCount(tenantID: $0.key.tenantID, window: $0.key.window, calls: $0.value) },
            jobTenants: Array(batch.jobs.values), journalSegment: segment)
    }
}

/// Match request counts per tenant and window, and matched jobs' tenants, waiting for their write.
struct APICallBatch: CommitBatch {
    /// One answered match request.
    struct Call: JournalRecord {
        var tenantID: String
        var window: APICallWindow
        var job: JobTenant?

        /// `{"tenant_id", "window_start", "window_end", "job_id"?, "matched_at"?}`
        var journalLine: [UInt8] {
            var json = JSONWriter(capacity: 160)
            json.object { o in
                o.key("tenant_id")
                o.string(tenantID)
                o.key("window_start")
                o.number(Int(window.start))
                o.key("window_end")
                o.number(Int(window.end))
                if let job {
                    o.key("job_id")
                    o.string(job.jobID)
                    o.key("matched_at")
                    o.number(job.matchedAt.timeIntervalSince1970)
                }
            }
            return json.bytes
        }

        init(tenantID: String, window: APICallWindow, job: JobTenant?) {
            self.tenantID = tenantID
            self.window = window
            self.job = job
        }

        /// A line of `journalLine`; nil for anything else (a line cut short by a failed write).
        init?(journalLine: [UInt8]) {
            guard case .object(let fields)? = JSONValue.parse(journalLine), case .string(let tenant)? = fields["tenant_id"],
                case .number(let start)? = fields["window_start"], case .number(let end)? = fields["window_end"], end > start
            else { return nil }
            tenantID = tenant
            window = APICallWindow(start: Int64(start), length: Int64(end - start))
            if case .string(let jobID)? = fields["job_id"], case .number(let matchedAt)? = fields["matched_at"] {
                job = JobTenant(jobID: jobID, tenantID: tenant, matchedAt: Date(timeIntervalSince1970: matchedAt))
            }
        }
    }

    struct Key: Hashable {
        var tenantID: String
        var window: APICallWindow
    }

    private(set) var counts: [Key: Int64] = [:]
    private(set) var jobs: [String: JobTenant] = [:]

    var isEmpty: Bool { counts.isEmpty && jobs.isEmpty }

    mutating func add(_ call: Call) {
        counts[Key(tenantID: call.tenantID, window: call.window), default: 0] += 1
        if let job = call.job { keep(job) }
    }

    mutating func restore(_ failed: APICallBatch) {
        for (key, calls) in failed.counts { counts[key, default: 0] += calls }
        for job in failed.jobs.values { keep(job) }
    }

    private mutating func keep(_ job: JobTenant) {
        if jobs[job.jobID] == nil, jobs.count < APICallMeter.jobLimit { jobs[job.jobID] = job }
    }
}
