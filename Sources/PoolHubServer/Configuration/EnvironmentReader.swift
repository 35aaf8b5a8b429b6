// Typed reads of environment values.

import Foundation

/// Typed reads of environment values; an empty value counts as unset.
struct EnvironmentReader {
    var values: [String: String]

    func string(_ key: String) -> String? {
        guard let v = values[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let raw = string(key) else { return nil }
        guard let v = Int(raw), range.contains(v) else {
            throw ConfigurationError(key, "must be a whole number in \(range.lowerBound)...\(range.upperBound), not \"\(raw)\"")
        }
        return v
    }

    func double(_ key: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let raw = string(key) else { return nil }
        guard let v = Double(raw), v.isFinite, range.contains(v) else {
            throw ConfigurationError(key, "must be a number in \(range.lowerBound)...\(range.upperBound), not \"\(raw)\"")
        }
        return v
    }
}
