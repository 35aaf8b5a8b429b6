// Redis connection settings (REDIS_URL).

/// Where and how to connect. Built directly or from a `REDIS_URL`.
package struct RedisConfiguration: Sendable, Equatable {
    package var host: String
    package var port: Int
    /// SELECTed after every connect when not 0.
    package var database: Int
    /// With `password`: `AUTH username password` (ACL). Ignored without a password.
    package var username: String?
    /// Alone: `AUTH password` (requirepass).
    package var password: String?
    package var connectTimeout: Duration = .seconds(2)
    package var commandTimeout: Duration = .seconds(2)

    package init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        database: Int = 0,
        username: String? = nil,
        password: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Why a URL was refused, in one line.
    package struct Invalid: Error, CustomStringConvertible, Equatable {
        package let description: String
        init(_ reason: String) { self.description = reason }
    }

    /// `redis://[[username]:password@]host[:port][/db]`; user and password may be percent-encoded,
    /// an IPv6 host is written in brackets.
    package init(url: String) throws(Invalid) {
        self.init()
        let schemeEnd = url.firstRange(of: "://")
        guard let schemeEnd else { throw Invalid("'\(Self.redacted(url))' is not a redis:// URL") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw Invalid("rediss:// (TLS) is not supported by this build; use redis://") }
        guard scheme == "redis" else { throw Invalid("unsupported scheme '\(scheme)://', expected redis://") }
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") {
            throw Invalid("query parameters and fragments are not supported in a redis URL")
        }

        // Userinfo ends at the last '@' so a password may contain an unencoded '@'.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw Invalid("user info in a redis URL must be '[username]:password@'")
            }
            let user = try Self.percentDecoded(userInfo[..<colon])
            let pass = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            username = user.isEmpty ? nil : user
            password = pass.isEmpty ? nil : pass
        }

        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw Invalid("database '\(path)' in a redis URL must be a non-negative integer")
                }
                database = db
            }
        }

        let hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Invalid("unterminated IPv6 host in redis URL") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid("unexpected '\(after)' after IPv6 host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { throw Invalid("redis URL has no host") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw Invalid("port '\(portPart)' in redis URL must be 1...65535")
            }
            port = value
        }
    }

    private static func percentDecoded(_ text: Substring) throws(Invalid) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw Invalid("bad percent-encoding in redis URL user info")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Error messages must never echo a password.
    private static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        return "…@" + url[url.index(after: at)...]
    }
}

extension RedisConfiguration: CustomStringConvertible {
    /// For logs: no password.
    package var description: String {
        "redis://\(username.map { "\($0):***@" } ?? (password == nil ? "" : ":***@"))\(host):\(port)/\(database)"
    }
}
