// Who is calling: API key roles and miner tokens, checked per route.

import Foundation
import HTTPTypes
import Hummingbird
import PoolHubCore

/// Who is calling, decided from `X-API-Key` and `Authorization: Bearer <miner token>`.
struct Access: Sendable {
    let keys: APIKeys

    /// The caller's API role. With no keys configured everyone is an admin (the open first-try mode).
    func role(of request: Request) throws -> Role? {
        guard let key = request.headers[.apiKey] else { return keys.isOpen ? .admin : nil }
        guard let role = keys.role(of: key) ?? (keys.isOpen ? .admin : nil) else {
            throw APIError.unauthorized("The API key is not valid.")
        }
        return role
    }

    /// Requires an API key of at least `role`.
    func require(_ needed: Role, _ request: Request) throws {
        guard let role = try role(of: request) else {
            throw APIError.unauthorized("This route needs an API key in X-API-Key.")
        }
        guard role >= needed else { throw APIError.forbidden("This API key may not do that; it needs the \(needed) role.") }
    }

    /// The bearer token, if one was sent.
    /// Read byte by byte: every heartbeat passes here.
    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let utf8 = value.utf8
        guard utf8.count > 7, zip(utf8.prefix(7), "bearer ".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let token = utf8.dropFirst(7).drop(while: isBlank).reversed().drop(while: isBlank).reversed()
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }
}
