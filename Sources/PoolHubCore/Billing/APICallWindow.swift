// The window a tenant's match requests are counted in for one api_calls record.

package import Foundation

/// The stretch of time over which a tenant's match requests are counted into one usage record.
/// Counting per window instead of per request keeps matching free of a write per request and the
/// coordinator free of a record per request.
package struct APICallWindow: Sendable, Hashable {
    /// Epoch seconds, a multiple of `length`.
    package var start: Int64
    /// Seconds.
    package var length: Int64

    package init(start: Int64, length: Int64) {
        self.start = start
        self.length = length
    }

    /// The window of `length` seconds that holds `date`.
    package static func containing(_ date: Date, length: Int64) -> APICallWindow {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let start = seconds >= 0 ? seconds / length * length : -((-seconds + length - 1) / length * length)
        return APICallWindow(start: start, length: length)
    }

    package var end: Int64 { start + length }
    package var startDate: Date { Date(timeIntervalSince1970: TimeInterval(start)) }
    package var endDate: Date { Date(timeIntervalSince1970: TimeInterval(end)) }
}
