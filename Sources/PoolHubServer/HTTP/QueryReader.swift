// Reading and validating query parameters.

import Foundation
import Hummingbird
import PoolHubCore

/// Reads a request's query parameters and collects every problem, so one 422 lists them all
/// (the query string's `FieldReader`).
struct QueryReader {
    private let parameters: Parameters
    private(set) var problems: [FieldProblem] = []

    init(_ request: Request) { parameters = request.uri.queryParameters }

    mutating func fail(_ name: String, _ problem: String) {
        problems.append(FieldProblem(field: name, problem: problem))
    }

    /// The raw value, unchecked.
    func raw(_ name: String) -> String? { parameters.get(name) }

    mutating func text(_ name: String, length: ClosedRange<Int> = 1...128) -> String? {
        guard let value = raw(name) else { return nil }
        guard length.contains(value.unicodeScalars.count) else {  // code points, as JSON Schema counts
            fail(name, "must be \(length.lowerBound)..\(length.upperBound) characters")
            return nil
        }
        return value
    }

    mutating func bool(_ name: String) -> Bool? {
        guard let value = raw(name) else { return nil }
        guard let flag = ["true": true, "false": false][value] else {
            fail(name, "must be true or false")
            return nil
        }
        return flag
    }

    mutating func int(_ name: String, in range: ClosedRange<Int>, default value: Int) -> Int {
        guard let raw = raw(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            fail(name, "must be a whole number in \(range.lowerBound)..\(range.upperBound)")
            return value
        }
        return n
    }

    /// A number in `(0, upTo]`.
    mutating func positive(_ name: String, upTo limit: Double, default value: Double, problem: String) -> Double {
        guard let raw = raw(name) else { return value }
        guard let n = Double(raw), n > 0, n <= limit else {
            fail(name, problem)
            return value
        }
        return n
    }

    mutating func oneOf<Value: RawRepresentable & CaseIterable>(_ name: String, _: Value.Type) -> Value? where Value.RawValue == String {
        guard let raw = raw(name) else { return nil }
        guard let value = Value(rawValue: raw) else {
            fail(name, "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    mutating func address(_ name: String) -> MinerAddress? {
        guard let raw = raw(name) else { return nil }
        guard let address = MinerAddress(raw) else {
            fail(name, "must be 1..128 characters of [A-Za-z0-9._:-]")
            return nil
        }
        return address
    }

    mutating func time(_ name: String) -> Date? {
        guard let raw = raw(name) else { return nil }
        guard let date = RFC3339.date(raw) else {
            fail(name, "must be an RFC 3339 time such as 2026-05-01T00:00:00Z")
            return nil
        }
        return date
    }

    /// Throws the 422 listing every problem, if any.
    func validate() throws {
        if !problems.isEmpty { throw APIError.invalid(problems) }
    }
}
