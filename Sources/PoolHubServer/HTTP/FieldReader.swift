// Reading and validating JSON body fields.

import Foundation

/// Reads the fields of a JSON object and collects every problem, so one 422 lists them all.
struct FieldReader {
    private let fields: [String: JSONValue]
    private let prefix: String
    private(set) var problems: [FieldProblem] = []
    /// The keys asked for so far that the object has (a handful: a list is cheaper than hashing each into a set).
    private var read: [String] = []

    init(_ value: JSONValue, prefix: String = "") {
        self.prefix = prefix
        if case .object(let fields) = value {
            self.fields = fields
        } else {
            self.fields = [:]
            problems.append(FieldProblem(field: prefix.isEmpty ? "body" : String(prefix.dropLast()), problem: "must be a JSON object"))
        }
    }

    mutating func fail(_ key: String, _ problem: String) {
        problems.append(FieldProblem(field: prefix + key, problem: problem))
    }

    /// Names a problem for every key that no read asked for.
    mutating func rejectUnread() {
        guard read.count < fields.count else { return }
        for key in fields.keys.sorted() where !read.contains(key) { fail(key, "is not a known field") }
    }

    /// The field's value; nil when absent or null (with a problem when `required`).
    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        let field = fields[key]
        if field != nil, !read.contains(key) { read.append(key) }
        switch field {
        case nil, .null?:
            if required { fail(key, "is required") }
            return nil
        case let value?:
            return value
        }
    }

    mutating func string(_ key: String, required: Bool = false, length: ClosedRange<Int> = 1...256) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let s) = value else {
            fail(key, "must be a string, not \(value.typeName)")
            return nil
        }
        // Code points, as JSON Schema's minLength and maxLength count (not Swift's grapheme clusters).
        guard length.contains(s.unicodeScalars.count) else {
            fail(key, "must be \(length.lowerBound)..\(length.upperBound) characters")
            return nil
        }
        return s
    }

    mutating func int(_ key: String, required: Bool = false, range: ClosedRange<Int>) -> Int? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let n) = value, n.rounded() == n, n.magnitude < 9.0e15 else {
            fail(key, "must be an integer")
            return nil
        }
        guard range.contains(Int(n)) else {
            fail(key, "must be in \(range.lowerBound)..\(range.upperBound)")
            return nil
        }
        return Int(n)
    }

    mutating func number(_ key: String, required: Bool = false, range: ClosedRange<Double>) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let n) = value, n.isFinite else {
            fail(key, "must be a number")
            return nil
        }
        guard range.contains(n) else {
            fail(key, "must be in \(Self.format(range.lowerBound))..\(Self.format(range.upperBound))")
            return nil
        }
        return n
    }

    /// Money: a non-negative decimal string such as `"0.01"` (JSON numbers would be read as binary floats).
    mutating func decimal(_ key: String, required: Bool = false) -> Decimal? {
        guard let text = string(key, required: required, length: 1...32) else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else {
            fail(key, "must be a decimal string such as \"0.50\"")
            return nil
        }
        return value
    }

    /// A price in USD per GPU hour: a decimal string of at most six decimals (whole micro-USD, as the matcher
    /// compares prices), at most 1,000,000.
    mutating func price(_ key: String, required: Bool = false) -> Decimal? {
        let before = problems.count
        guard let value = decimal(key, required: required) else { return nil }
        let text = fields[key].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? ""
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = parts.first ?? ""
        let decimals = parts.dropFirst().first ?? ""
        // As openapi.yaml's pattern: up to six digits before the point and six after, or 1000000 itself.
        let inRange = whole.count <= 6 || (whole == "1000000" && decimals.allSatisfy { $0 == "0" })
        guard problems.count == before, decimals.count <= 6, inRange else {
            fail(key, "must be a decimal string of at most six decimals, at most 1000000, such as \"0.50\"")
            return nil
        }
        return value
    }

    mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let value = value(key, required: required) else { return nil }
        guard case .bool(let b) = value else {
            fail(key, "must be true or false")
            return nil
        }
        return b
    }

    mutating func strings(_ key: String, required: Bool = false, count: ClosedRange<Int>, length: ClosedRange<Int>) -> [String]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let items) = value else {
            fail(key, "must be an array of strings")
            return nil
        }
        guard count.contains(items.count) else {
            fail(key, "must have \(count.lowerBound)..\(count.upperBound) items")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item, length.contains(s.unicodeScalars.count) else {
                fail("\(key)[\(i)]", "must be a string of \(length.lowerBound)..\(length.upperBound) characters")
                continue
            }
            out.append(s)
        }
        return out.count == items.count ? out : nil
    }

    /// An object of string values (tags).
    mutating func stringMap(_ key: String, maxEntries: Int, length: ClosedRange<Int>) -> [String: String]? {
        guard let value = value(key, required: false) else { return nil }
        guard case .object(let entries) = value, entries.count <= maxEntries else {
            fail(key, "must be an object of at most \(maxEntries) string values")
            return nil
        }
        var out: [String: String] = [:]
        for (name, item) in entries {
            guard case .string(let s) = item, length.contains(name.unicodeScalars.count), s.unicodeScalars.count <= length.upperBound else {
                fail("\(key).\(name)", "must be a string of at most \(length.upperBound) characters")
                continue
            }
            out[name] = s
        }
        return out.count == entries.count ? out : nil
    }

    /// A required RFC 3339 time.
    mutating func time(_ key: String) -> Date? {
        guard let raw = string(key, required: true, length: 1...64) else { return nil }
        guard let date = RFC3339.date(raw) else {
            fail(key, "must be an RFC 3339 time such as 2026-05-01T00:00:00Z")
            return nil
        }
        return date
    }

    /// Reads a nested object with its own reader; its problems are named `key.field`. With `strict`, a key
    /// the reader did not ask for is a problem too (a requirement the hub does not know must not be ignored).
    mutating func nested<T>(_ key: String, required: Bool = false, strict: Bool = false, _ read: (inout FieldReader) -> T?) -> T? {
        guard let value = value(key, required: required) else { return nil }
        var inner = FieldReader(value, prefix: prefix + key + ".")
        let result = read(&inner)
        if strict { inner.rejectUnread() }
        problems += inner.problems
        return inner.problems.isEmpty ? result : nil
    }

    /// Throws the 422 listing every problem, if any.
    func validate() throws {
        if !problems.isEmpty { throw APIError.invalid(problems) }
    }

    private static func format(_ d: Double) -> String {
        d.rounded() == d && d.magnitude < 1e15 ? String(Int(d)) : String(d)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
