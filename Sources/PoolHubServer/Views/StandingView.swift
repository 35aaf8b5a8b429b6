// A miner's standing: good, suspended until a time, or on probation.

import Foundation
import PoolHubCore

/// `standing` of the miner and score views: `{"state": "good"}`, `{"state": "suspended", "until", "probation_jobs"}`
/// (the results it will be judged on once the suspension ends) or `{"state": "probation", "probation_jobs"}` (left).
struct StandingView: Encodable {
    var state: String
    var until: Date?
    var probationJobs: Int?

    init(_ standing: Standing, at now: Date) {
        switch standing.phase(at: now) {
        case .good:
            state = "good"
        case .suspended(let until):
            state = "suspended"
            self.until = until
            probationJobs = standing.probationJobsLeft
        case .probation(let left):
            state = "probation"
            probationJobs = left
        }
    }
}

extension StandingView {
    /// The same object for the answers written with `JSONWriter` (the miner object).
    func write(into w: inout JSONWriter) {
        w.object { w in
            w.key("state")
            w.string(state)
            w.optional("until", until) { $0.date($1) }
            w.optional("probation_jobs", probationJobs) { $0.number($1) }
        }
    }
}
