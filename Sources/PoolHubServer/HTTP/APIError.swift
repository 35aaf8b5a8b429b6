// The API's error shape.

package import Hummingbird
import Foundation

/// One bad field of a request.
package struct FieldProblem: Sendable, Equatable, Codable {
    package var field: String
    package var problem: String

    package init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
}

/// Every failure the API reports, in the one shape of API.md:
/// `{"error": {"code", "message", "details": [{"field", "problem"}]}}`.
package struct APIError: Error, HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var details: [FieldProblem]
    package var retryAfter: Int?

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [FieldProblem] = [], retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    var body: [UInt8] {
        struct Envelope: Encodable {
            struct Inner: Encodable {
                var code: String
                var message: String
                var details: [FieldProblem]
            }
            var error: Inner
        }
        let data = (try? JSONEncoder().encode(Envelope(error: .init(code: code, message: message, details: details)))) ?? Data()
        return [UInt8](data)
    }
}

extension APIError {
    static func invalid(_ problems: [FieldProblem]) -> APIError {
        APIError(.unprocessableContent, "invalid_fields", "Some fields are missing or invalid.", details: problems)
    }
    static func malformed(_ message: String) -> APIError { APIError(.badRequest, "malformed_request", message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) was not found.") }
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, "unauthorized", message) }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code, message) }
    /// A dependency is down; the caller should try again after `retryAfter` seconds.
    static func unavailable(_ reason: String, retryAfter: Int = 1) -> APIError {
        APIError(.serviceUnavailable, "unavailable", "A dependency of the hub is unavailable: \(reason)", retryAfter: retryAfter)
    }
    static let tooLarge = APIError(.contentTooLarge, "payload_too_large", "The request body is larger than the limit.")
    static let internalError = APIError(.internalServerError, "internal", "The request failed for an internal reason; it was logged.")
}
