// Prices per GPU hour as the matcher compares them: whole micro-USD.

package import Foundation

/// Prices (USD per GPU hour) as the matcher compares and ranks them: whole micro-USD, rounded up, so a
/// price ceiling (`max_price`, itself at most six decimals) never admits a miner priced above it.
package enum Price {
    /// The largest price compared exactly (a million USD per GPU hour); anything above counts as this.
    package static let maxMicros: Int64 = 1_000_000_000_000

    package static func micros(_ price: Decimal) -> Int64 {
        guard price > 0 else { return 0 }
        guard price < Decimal(maxMicros / 1_000_000) else { return maxMicros }
        var scaled = price * 1_000_000
        var whole = Decimal()
        NSDecimalRound(&whole, &scaled, 0, .up)
        return min(maxMicros, NSDecimalNumber(decimal: whole).int64Value)
    }
}
