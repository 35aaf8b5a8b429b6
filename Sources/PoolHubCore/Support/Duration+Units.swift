// The one conversion of Duration into plain numbers.

/// The hub's one conversion of a `Duration` into plain numbers (NIO's `TimeAmount(_:)` covers the rest).
extension Duration {
    /// Fractional milliseconds, for JSON and logs.
    package var inMilliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15 }

    /// Whole nanoseconds, for atomics that hold a point in time.
    package var inNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
