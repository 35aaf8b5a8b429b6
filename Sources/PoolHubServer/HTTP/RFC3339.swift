// Parsing RFC 3339 times.

import Foundation

/// RFC 3339 times in query strings and bodies, with or without fractional seconds.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        // Foundation's parser rolls impossible fields over (minute 99 becomes the next hour): check them first.
        guard isWellFormed(text) else { return nil }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with every field in its range (the day within its month).
    static func isWellFormed(_ text: String) -> Bool {
        let c = Array(text.utf8)
        guard c.count >= 20 else { return false }
        func number(_ from: Int, _ count: Int) -> Int? {
            var n = 0
            for i in from..<(from + count) {
                guard c[i] >= 0x30, c[i] <= 0x39 else { return nil }
                n = n * 10 + Int(c[i] - 0x30)
            }
            return n
        }
        guard let year = number(0, 4), c[4] == 0x2D, let month = number(5, 2), c[7] == 0x2D, let day = number(8, 2),
            c[10] == 0x54 || c[10] == 0x74, let hour = number(11, 2), c[13] == 0x3A, let minute = number(14, 2), c[16] == 0x3A,
            let second = number(17, 2)
        else { return false }
        guard (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        var i = 19
        if c[i] == 0x2E {  // a fraction: one digit at least
            i += 1
            let start = i
            while i < c.count, c[i] >= 0x30, c[i] <= 0x39 { i += 1 }
            guard i > start else { return false }
        }
        guard i < c.count else { return false }
        if c[i] == 0x5A || c[i] == 0x7A { return i == c.count - 1 }
        guard c[i] == 0x2B || c[i] == 0x2D, c.count == i + 6, let offsetHours = number(i + 1, 2), c[i + 3] == 0x3A,
            let offsetMinutes = number(i + 4, 2)
        else { return false }
        return offsetHours < 24 && offsetMinutes < 60
    }
}
