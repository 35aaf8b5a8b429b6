// The domain errors the services throw.

import PoolHubCore

/// What a use case of the hub refuses or cannot do, in the domain's words. `APIError(_:)` is the one
/// place that turns each into the API's error shape and status code.
enum HubError: Error, Equatable {
    /// No miner is registered at this address (or it is no address).
    case minerNotFound(String)
    case reservationNotFound(String)
    /// A known address was registered again without the miner's token.
    case tokenRequired(MinerAddress)
    /// Another registration of the same address won the race.
    case addressTaken(MinerAddress)
    /// A key chosen by a miner already opens another miner.
    case tokenTaken
    /// A token presented alone opens no registered miner.
    case unknownToken
    /// A heartbeat reported more running jobs than the miner has slots.
    case loadAboveSlots(maxConcurrentJobs: Int)
    /// The job's result on this miner was already reported, differently.
    case conflictingResult(jobID: String, address: MinerAddress, reportedAs: JobOutcome)
    /// The shared hot state cannot be reached, so no slot can be taken or freed safely.
    case hotStateUnavailable(String)
    /// No coordinator billing API is configured.
    case billingSyncOff
    /// The coordinator's billing API did not answer.
    case coordinatorUnreachable(String)
    /// The coordinator's billing API answered with an error.
    case coordinatorFailed(status: Int, excerpt: String)
}
