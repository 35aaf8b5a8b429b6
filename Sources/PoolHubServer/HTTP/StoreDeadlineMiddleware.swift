// Gives each request's storage work one deadline: DATABASE_TIMEOUT_SECONDS from its arrival.

import Hummingbird
import PoolHubStore

/// Every store call a request makes is due `timeout` after the request arrived, so a request that reads
/// and then writes answers (success or 503) within one database timeout, never a multiple of it.
struct StoreDeadlineMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await StoreDeadline.within(.now + timeout) { try await next(request, context) }
    }
}
