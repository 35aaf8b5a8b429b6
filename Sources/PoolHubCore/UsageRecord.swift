public import Foundation

/// One billable fact for the coordinator: a quantity of a resource used by a tenant (on a miner, for
/// a job), priced when it was recorded. Quantities and amounts have six decimal places.
public struct UsageRecord: Sendable, Equatable {
    public static let currency = "USD"

    public var eventID: String
    public var tenantID: String
    public var minerID: String?
    public var jobID: String?
    public var resource: UsageResource
    public var quantity: Micros
    public var unitPrice: Decimal
    public var amount: Micros
    public var timestamp: Date
    public var metadata: [String: String]

    public init(
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

    public var unit: String { resource.unit }
}
