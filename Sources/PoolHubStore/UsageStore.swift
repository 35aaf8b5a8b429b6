// The store protocol for usage and the billing outbox.

package import Foundation
package import PoolHubCore

/// Where a usage record is on its way to the coordinator.
package enum OutboxState: String, Sendable, CaseIterable {
    /// Not yet acknowledged: due now, or waiting out a backoff.
    case pending
    /// The coordinator has it.
    case acknowledged
    /// The coordinator refused it for good; kept and shown, never sent again.
    case rejected
}

/// A usage record with its delivery state: the billing outbox is the usage table itself, so a record
/// and its place in the queue are written in one statement.
package struct OutboxEntry: Sendable, Equatable {
    package var record: UsageRecord
    package var state: OutboxState
    package var attempts: Int
    package var nextAttemptAt: Date
    package var lastStatus: Int?
    package var lastError: String?
    /// When it was acknowledged or rejected.
    package var settledAt: Date?

    package init(
        record: UsageRecord, state: OutboxState, attempts: Int, nextAttemptAt: Date, lastStatus: Int?, lastError: String?,
        settledAt: Date?
    ) {
        self.record = record
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.settledAt = settledAt
    }
}

/// Match requests of one tenant counted in one window.
package struct APICallCount: Sendable, Equatable {
    package var tenantID: String
    package var window: APICallWindow
    package var calls: Int64

    package init(tenantID: String, window: APICallWindow, calls: Int64) {
        self.tenantID = tenantID
        self.window = window
        self.calls = calls
    }
}

/// The tenant a job was matched for, remembered so that its result is billed to that tenant.
package struct JobTenant: Sendable, Equatable {
    package var jobID: String
    package var tenantID: String
    package var matchedAt: Date

    package init(jobID: String, tenantID: String, matchedAt: Date) {
        self.jobID = jobID
        self.tenantID = tenantID
        self.matchedAt = matchedAt
    }
}

/// How to bill a job result, given to `recordResult` so that its usage is written in the result's transaction.
package struct ResultUsage: Sendable {
    /// Named by the report itself: wins over the tenant the job was matched for.
    package var tenantID: String?
    /// For a job matched without a tenant, or never matched by this hub.
    package var defaultTenant: String
    package var pricing: UsagePricing

    package init(tenantID: String?, defaultTenant: String, pricing: UsagePricing) {
        self.tenantID = tenantID
        self.defaultTenant = defaultTenant
        self.pricing = pricing
    }
}

/// A request to lease pending records for one delivery pass.
package struct OutboxClaim: Sendable {
    /// The pass: a record it attempted is not claimed by it again, and only it may settle its lease.
    package var owner: String
    package var now: Date
    /// Until when no other pass may claim the records (longer than the pass may spend sending them).
    package var leaseUntil: Date
    package var limit: Int
    /// Also records still waiting out a backoff (a sync asked for by an operator).
    package var ignoringBackoff: Bool

    package init(owner: String, now: Date, leaseUntil: Date, limit: Int, ignoringBackoff: Bool) {
        self.owner = owner
        self.now = now
        self.leaseUntil = leaseUntil
        self.limit = limit
        self.ignoringBackoff = ignoringBackoff
    }
}

/// What became of one delivery attempt.
package enum DeliveryOutcome: Sendable, Equatable {
    case acknowledged(status: Int)
    case rejected(status: Int, reason: String)
    /// `status` is nil when no answer came (refused, timed out).
    case failed(status: Int?, reason: String, retryAt: Date)
}

package struct Settlement: Sendable, Equatable {
    package var eventID: String
    package var outcome: DeliveryOutcome

    package init(eventID: String, outcome: DeliveryOutcome) {
        self.eventID = eventID
        self.outcome = outcome
    }
}

/// Which usage to look at; nil fields do not filter. Times select `[from, to)`.
package struct UsageFilter: Sendable, Equatable {
    package var tenantID: String?
    package var minerID: String?
    package var from: Date?
    package var to: Date?

    package init(tenantID: String? = nil, minerID: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.tenantID = tenantID
        self.minerID = minerID
        self.from = from
        self.to = to
    }
}

/// Usage totals and the outbox's state for one filter.
package struct UsageSummary: Sendable, Equatable {
    package struct Total: Sendable, Equatable {
        package var records: Int
        package var quantity: Micros
        package var amount: Micros

        package init(records: Int = 0, quantity: Micros = .zero, amount: Micros = .zero) {
            self.records = records
            self.quantity = quantity
            self.amount = amount
        }
    }

    package var totals: [UsageResource: Total]
    /// Match requests counted in windows not yet turned into records (none when filtering by miner).
    package var unrecordedAPICalls: Int64
    package var outbox: [OutboxState: Int]
    /// Rejected records, most recently rejected first.
    package var rejected: [OutboxEntry]

    package init(totals: [UsageResource: Total], unrecordedAPICalls: Int64, outbox: [OutboxState: Int], rejected: [OutboxEntry]) {
        self.totals = totals
        self.unrecordedAPICalls = unrecordedAPICalls
        self.outbox = outbox
        self.rejected = rejected
    }
}

/// Durable usage for billing and its outbox to the coordinator. Job usage is written by
/// `HubStore.recordResult` in the result's own transaction; match requests arrive here in counts.
package protocol UsageStore: Sendable {
    /// Adds counted match requests and remembers job tenants (a job keeps the first tenant it was matched for), in one transaction.
    func addAPICalls(_ counts: [APICallCount], jobTenants: [JobTenant]) async throws
    /// Turns the counted, not yet recorded match requests of windows that ended by `cutoff` into pending
    /// usage records (calls counted late into a recorded window get a record of their own); returns how many records.
    @discardableResult func recordAPICalls(endedBy cutoff: Date, pricing: UsagePricing, at now: Date) async throws -> Int
    /// Leases up to `limit` pending records to `claim.owner`, oldest due first: due ones (all pending with
    /// `ignoringBackoff`), not leased by another pass, not attempted by this one. Two concurrent claims, from
    /// this instance or another, never get the same record while its lease runs.
    func claimUsage(_ claim: OutboxClaim) async throws -> [OutboxEntry]
    /// Records what the attempts of `owner` came to. An acknowledgement always counts; a rejection or a
    /// failure only while `owner` still holds the record (a lease that ran out belongs to whoever took it).
    func settleUsage(_ settlements: [Settlement], owner: String, at now: Date) async throws
    func usageSummary(_ filter: UsageFilter, rejectedLimit: Int) async throws -> UsageSummary
    /// Records matching `filter`, oldest first, at most `limit`.
    func usageEntries(_ filter: UsageFilter, limit: Int) async throws -> [OutboxEntry]
    func pendingUsageCount() async throws -> Int
    /// Forgets the tenants of jobs matched before `date` (their results, if any still come, go to the default tenant).
    func forgetJobTenants(matchedBefore date: Date) async throws
}
