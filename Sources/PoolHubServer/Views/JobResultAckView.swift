// Job result answer.

import PoolHubCore

/// The answer to a job result: `counted` is false when it repeats one already counted.
struct JobResultAckView: Encodable {
    var jobId: String
    var address: String
    var status: String
    var counted: Bool

    init(_ result: JobResult, counted: Bool) {
        jobId = result.jobID
        address = result.address.value
        status = result.outcome.rawValue
        self.counted = counted
    }
}
