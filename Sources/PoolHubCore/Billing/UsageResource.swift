// The resource types usage is billed in (gpu_hours, compute_hours, api_calls).

package import Foundation

/// What a usage record bills: GPU time, delivered compute time, or match requests.
package enum UsageResource: String, Sendable, CaseIterable, Codable {
    case gpuHours = "gpu_hours"
    case computeHours = "compute_hours"
    case apiCalls = "api_calls"

    package var unit: String {
        switch self {
        case .gpuHours, .computeHours: "hours"
        case .apiCalls: "calls"
        }
    }
}

/// Unit prices in USD, from configuration.
package struct UsagePrices: Sendable, Equatable {
    package var gpuHours: Decimal
    package var computeHours: Decimal
    package var apiCalls: Decimal

    /// The defaults of API.md: 0.50 per GPU hour, 0.30 per compute hour, 0.0001 per match request.
    package static let standard = UsagePrices(
        gpuHours: Decimal(string: "0.50")!, computeHours: Decimal(string: "0.30")!, apiCalls: Decimal(string: "0.0001")!)

    package init(gpuHours: Decimal, computeHours: Decimal, apiCalls: Decimal) {
        self.gpuHours = gpuHours
        self.computeHours = computeHours
        self.apiCalls = apiCalls
    }

    package subscript(resource: UsageResource) -> Decimal {
        switch resource {
        case .gpuHours: gpuHours
        case .computeHours: computeHours
        case .apiCalls: apiCalls
        }
    }
}
