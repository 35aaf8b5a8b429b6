// The one mapping of domain errors to the API's error shape and status codes.

import HTTPTypes
import PoolHubCore

extension APIError {
    /// The API's answer to a domain error: the one mapping of `HubError` to statuses and codes.
    init(_ error: HubError) {
        switch error {
        case .minerNotFound(let address):
            self = .notFound("Miner \(address)")
        case .reservationNotFound(let id):
            self = .notFound("Reservation \(id)")
        case .tokenRequired(let address):
            self = .conflict(
                "address_taken",
                "Miner \(address) is already registered; re-register with its token (Authorization: Bearer, or the api_key it registered with).")
        case .addressTaken(let address):
            self = .conflict("address_taken", "Miner \(address) is already registered.")
        case .tokenTaken:
            self = .conflict("token_taken", "This key already belongs to another miner; every miner needs its own.")
        case .unknownToken:
            self = .unauthorized("The token does not belong to a registered miner.")
        case .loadAboveSlots(let slots):
            self = .invalid([FieldProblem(field: "current_load", problem: "must be in 0..\(slots) (max_concurrent_jobs)")])
        case .conflictingResult(let jobID, let address, let outcome):
            self = .conflict(
                "conflicting_result", "Job \(jobID) on \(address) was already reported as \(outcome.rawValue) with other details.")
        case .hotStateUnavailable(let reason):
            self = .unavailable(reason)
        case .billingSyncOff:
            self = APIError(
                .serviceUnavailable, "billing_sync_off",
                "Billing sync is off: COORDINATOR_BILLING_URL is not set. Usage is still recorded (GET /sla/billing/usage).",
                retryAfter: 3_600)
        case .coordinatorUnreachable:
            self = APIError(
                .serviceUnavailable, "coordinator_unavailable", "The coordinator's billing API did not answer; try again later.",
                retryAfter: 30)
        case .coordinatorFailed(let status, let excerpt):
            self = APIError(.badGateway, "coordinator_error", "The coordinator answered the invoice request with HTTP \(status): \(excerpt)")
        }
    }
}
