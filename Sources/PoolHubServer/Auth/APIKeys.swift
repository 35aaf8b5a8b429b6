// API keys and their roles (POOLHUB_API_KEYS).

import Crypto
import Foundation

/// What an API key may do. `coordinator` matches, reports results and reads; `admin` may also
/// delete any miner and run the `/sla` operations.
package enum Role: String, Sendable, Comparable {
    case coordinator, admin

    package static func < (lhs: Role, rhs: Role) -> Bool { lhs == .coordinator && rhs == .admin }
}

/// The keys of `POOLHUB_API_KEYS`: `KEY`, `coordinator:KEY` or `admin:KEY`, comma-separated.
/// With none the hub runs open (every caller is an admin) and says so at start-up.
package struct APIKeys: Sendable {
    private var roles: [[UInt8]: Role] = [:]

    package init() {}

    package static func parse(_ text: String) throws(ConfigurationError) -> APIKeys {
        var keys = APIKeys()
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            var role = Role.coordinator
            var key = entry
            if let colon = entry.firstIndex(of: ":") {
                guard let named = Role(rawValue: String(entry[..<colon])) else {
                    throw ConfigurationError("POOLHUB_API_KEYS", "has an entry with an unknown role (use coordinator:KEY or admin:KEY)")
                }
                role = named
                key = String(entry[entry.index(after: colon)...])
            }
            guard key.utf8.count >= 8 else {
                throw ConfigurationError("POOLHUB_API_KEYS", "has a key shorter than 8 characters")
            }
            keys.roles[Self.digest(key)] = role
        }
        return keys
    }

    package var isOpen: Bool { roles.isEmpty }

    /// The role of a presented key; nil when it is not one of ours. Keys are compared by digest,
    /// so the lookup's timing says nothing about the keys.
    package func role(of key: String) -> Role? { roles[Self.digest(key)] }

    private static func digest(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }
}
