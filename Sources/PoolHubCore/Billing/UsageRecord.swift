// One billable usage record for the coordinator.

package import Foundation

/// One billable fact for the coordinator: a quantity of a resource used by a tenant (on a miner, for
/// a job), priced when it was recorded. Quantities and amounts have six decimal places.
package struct UsageRecord: Sendable, Equatable {
    package static let currency = "USD"

    package var eventID: String
    package var tenantID: String
    package var minerID: String?
    package var jobID: String?
    package var resource: UsageResource
    package var quantity: Micros
    package var unitPrice: Decimal
    package var amount: Micros
    package var timestamp: Date
    package var metadata: [String: String]

    package init(
        eventID: String, tenantID: String, minerID: String?, jobID: String?, resource: UsageResource, quantity: Micros,
        unitPrice: Decimal, amount: Micros, timestamp: Date, metadata: [String: String]
    ) {
        self.eventID = eventID
        self.tenantID = tenantID
        self.minerID = minerID
        self.jobID = jobID
        self.resource = resource
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.amount = amount
        self.timestamp = timestamp
        self.metadata = metadata
    }

    package var unit: String { resource.unit }
}
