// The admin commands' HTTP client: one call to a running hub, its errors as one line.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to a running hub over HTTP for the admin commands (`status`, `miners`, `match`, `sla`, `billing`).
struct AdminClient {
    let base: String
    let apiKey: String?

    /// One client for the command's few calls. A refused connection fails at once instead of being retried
    /// until the deadline: an operator who typed the wrong --url wants to know now. Never shut down: the
    /// process ends with the command.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A failure the command reports as one line and a non-zero exit.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request and returns the decoded JSON answer; a non-2xx answer throws its error message.
    func call(_ method: HTTPMethod, _ path: String, json body: [String: Any]? = nil) async throws -> Any {
        var request = HTTPClientRequest(url: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        if let apiKey { request.headers.add(name: "X-API-Key", value: apiKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await Self.http.execute(request, timeout: .seconds(30))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw Failure(description: "cannot reach the hub at \(base): \(Self.reason(error))")
        }
        let data = Data(bytes.readableBytesView)
        let decoded = data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard (200..<300).contains(response.status.code) else {
            let error = (decoded as? [String: Any])?["error"] as? [String: Any]
            var line = "\(method) \(path): HTTP \(response.status.code)"
            if let code = error?["code"] as? String { line += " \(code)" }
            if let message = error?["message"] as? String { line += ": \(message)" }
            let details = (error?["details"] as? [[String: Any]] ?? []).compactMap { d -> String? in
                guard let field = d["field"] as? String, let problem = d["problem"] as? String else { return nil }
                return "\(field) \(problem)"
            }
            if !details.isEmpty { line += " (" + details.joined(separator: "; ") + ")" }
            if response.status.code == 401, apiKey == nil { line += " (pass --api-key or set POOLHUB_API_KEY)" }
            throw Failure(description: line)
        }
        guard let decoded else { return [String: Any]() }
        return decoded
    }

    private static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("connectionRefused") || text.contains("Connection refused") {
            return "connection refused or timed out"
        }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
