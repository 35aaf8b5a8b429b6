// Every failure answered in the API's error shape; refusals and failures logged (rate-limited).

import Hummingbird
import Logging
import PoolHubStore

/// Turns every failure into the error shape of API.md. Internal failures are logged with the
/// request id and answered 500 `internal`, never with their message. Each 401/403 and 5xx is also
/// a warning with method, route, status, request id and reason, through the rate limit of `rejections`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let rejections: RejectionLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let failure: APIError
        do {
            return try await next(request, context)
        } catch let error as APIError {
            failure = error
        } catch let error as HubError {
            failure = APIError(error)
        } catch let error as StoreError {
            guard case .unavailable(let reason) = error else { throw error }
            // The process stays up; PostgreSQL's pool reconnects by itself.
            failure = APIError.unavailable("the database: \(reason)", retryAfter: 5)
        } catch let error as HTTPError {
            failure = Self.translate(error)
        } catch {
            context.requestLogger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            failure = APIError.internalError
        }
        rejections.record(
            method: request.method.rawValue, route: context.endpointPath ?? request.uri.path, status: Int(failure.status.code),
            reason: "\(failure.code): \(failure.message)", logger: context.requestLogger)
        return try failure.response(from: request, context: context)
    }

    private static func translate(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: APIError(.notFound, "not_found", "No such route.")
        case .contentTooLarge: .tooLarge
        case .methodNotAllowed: APIError(.methodNotAllowed, "method_not_allowed", "This route does not take that method.")
        case let status where status.code < 500:
            APIError(status, "bad_request", error.body ?? status.reasonPhrase)
        default:
            .internalError
        }
    }
}
