// Every failure answered in the API's error shape.

import Hummingbird
import Logging
import PoolHubStore

/// Turns every failure into the error shape of API.md. Internal failures are logged with the
/// request id and answered 500 `internal`, never with their message.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HubError {
            return try APIError(error).response(from: request, context: context)
        } catch let error as StoreError {
            guard case .unavailable(let reason) = error else { throw error }
            // The process stays up; PostgreSQL's pool reconnects by itself.
            context.logger.warning("storage unavailable", metadata: ["error": "\(reason)"])
            return try APIError.unavailable("the database: \(reason)", retryAfter: 5).response(from: request, context: context)
        } catch let error as HTTPError {
            return try Self.translate(error).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return try APIError.internalError.response(from: request, context: context)
        }
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
