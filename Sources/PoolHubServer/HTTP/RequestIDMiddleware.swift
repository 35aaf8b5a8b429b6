// Request ids (X-Request-Id) and the API key header name.

import HTTPTypes
import Hummingbird
import PoolHubCore

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let apiKey = HTTPField.Name("X-API-Key")!
}

/// Gives every request an id (the client's `X-Request-Id`, or a new one) and echoes it on the response.
/// A client id that is not 1..128 visible ASCII characters is refused with 400, as openapi.yaml says
/// (the answer carries a new id), rather than silently replaced: the caller's logs would not line up.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let sent = request.headers[.requestID]
        let id = sent.flatMap { Self.isSane($0) ? $0 : nil } ?? Self.generate()
        context.requestID = id
        var response: Response
        if sent != nil, sent != id {
            response = try APIError(
                .badRequest, "invalid_request_id", "X-Request-Id must be 1..128 visible ASCII characters (! to ~).",
                details: [FieldProblem(field: "X-Request-Id", problem: "must be 1..128 visible ASCII characters")]
            ).response(from: request, context: context)
        } else {
            response = try await next(request, context)
        }
        response.headers[.requestID] = id
        return response
    }

    private static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    private static func generate() -> String {
        String(SecureRandom.word(), radix: 16) + String(SecureRandom.word(), radix: 16)
    }
}
