// A parsed DATABASE_URL for PostgreSQL.

import Foundation
import NIOCore
import PostgresNIO

/// Where the PostgreSQL database is: a parsed `DATABASE_URL`.
package struct PostgresLocation: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    /// `sslmode=require` asks for TLS; `disable`, `prefer` or no sslmode connect in plain text.
    package var requireTLS: Bool

    package init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, requireTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=...]` (also `postgresql://`);
    /// user and password are percent-decoded.
    package init(url: String) throws(PostgresLocation.Invalid) {
        guard let components = URLComponents(string: url) else { throw Invalid("not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid("scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid("no host") }
        guard let user = components.percentEncodedUser, !user.isEmpty, let username = user.removingPercentEncoding else {
            throw Invalid("no user name")
        }
        let password = try components.percentEncodedPassword.map { raw throws(Invalid) in
            guard let decoded = raw.removingPercentEncoding else { throw Invalid("password is not percent-encoded properly") }
            return decoded
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw Invalid("port \(port) is out of range") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid("the path must name one database") }
        var requireTLS = false
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw Invalid("unsupported parameter \(item.name)") }
            switch item.value {
            case "require": requireTLS = true
            case "disable", "prefer", "allow": requireTLS = false
            default: throw Invalid("sslmode must be disable, allow, prefer or require")
            }
        }
        self.init(host: host, port: port, username: username, password: password, database: database, requireTLS: requireTLS)
    }

    package struct Invalid: Error, CustomStringConvertible, Equatable {
        package var reason: String
        init(_ reason: String) { self.reason = reason }
        package var description: String { "invalid PostgreSQL URL: \(reason)" }
    }
}

extension PostgresLocation {
    /// Settings for the pooled client; TLS without a custom trust store uses the system's roots.
    func clientConfiguration(connectTimeout: Duration) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// Settings for one dedicated connection (the scheduler lock's session).
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = TimeAmount(connectTimeout)
        return configuration
    }
}
