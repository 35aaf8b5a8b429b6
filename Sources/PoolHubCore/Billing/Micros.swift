// Exact decimal money and quantities as whole millionths.

package import Foundation

/// A decimal quantity or amount with six decimal places, held as a whole number of millionths: sums
/// are exact in every database (SQLite has no decimal type) and conversions to `Decimal` are lossless.
package struct Micros: Sendable, Hashable, Comparable, CustomStringConvertible {
    package static let perUnit: Int64 = 1_000_000
    package static let zero = Micros(0)

    package var value: Int64

    package init(_ value: Int64) { self.value = value }

    /// `whole` units (e.g. API calls).
    package init(units whole: Int64) { value = whole * Self.perUnit }

    /// `decimal` rounded to six places, half away from zero; nil when it does not fit.
    package init?(rounding decimal: Decimal) {
        var exact = decimal * Decimal(Self.perUnit)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 0, .plain)
        // An integral Decimal prints as plain digits; anything out of Int64's range fails to parse.
        guard rounded.isFinite, let value = Int64(rounded.description) else { return nil }
        self.value = value
    }

    /// A reported measurement (seconds, milliseconds) as an exact decimal, to the nanounit: binary noise
    /// such as 0.30000000000000004 goes, and the description never uses exponent notation.
    package static func decimal(_ measured: Double) -> Decimal {
        Decimal(string: String(format: "%.9f", measured)) ?? 0
    }

    package var decimal: Decimal { Decimal(value) / Decimal(Self.perUnit) }

    package static func < (a: Micros, b: Micros) -> Bool { a.value < b.value }
    package static func + (a: Micros, b: Micros) -> Micros { Micros(a.value + b.value) }
    package static func += (a: inout Micros, b: Micros) { a.value += b.value }

    /// Plain decimal digits with at least `minimumFractionDigits` and no trailing zeros beyond them:
    /// "0.50", "0.000445", "12" (with 0).
    package func formatted(minimumFractionDigits: Int = 0) -> String {
        let negative = value < 0
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(Self.perUnit)
        var fraction = String(magnitude % UInt64(Self.perUnit))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > minimumFractionDigits, fraction.last == "0" { fraction.removeLast() }
        return (negative ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    package var description: String { formatted() }
}

extension Decimal {
    /// Plain digits with at least two decimals, as money is written in JSON ("0.50", "0.0001").
    package var moneyString: String {
        var text = description
        guard !text.contains("e"), !text.contains("E") else { return text }
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < 2 { text += String(repeating: "0", count: 2 - decimals) }
        } else {
            text += ".00"
        }
        return text
    }
}
