// Money in storage as decimal strings.

import Foundation

/// Money in storage: a decimal string in both dialects, so no float ever rounds it.
enum StoredDecimal {
    static func encode(_ value: Decimal) -> String { value.description }

    static func decode(_ text: String) throws -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw StoreError.corrupt("decimal \(text)")
        }
        return value
    }
}
