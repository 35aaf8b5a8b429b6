// Unknown query parameters: 422 naming them, on every route, by the contract's list of each route's parameters.

import Foundation
import Hummingbird
import Yams

/// One rule for every route: a query parameter that openapi.yaml does not list for the route is a 422
/// naming it, so a filter the hub does not know is never silently ignored.
struct StrictQueryMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    /// A route of the contract: its path split at `/` (nil: a `{parameter}`) and its query parameters.
    struct Route: Sendable {
        var method: String
        var segments: [String?]
        var query: Set<String>
    }

    let routes: [Route]

    init(routes: [Route] = StrictQueryMiddleware.contractRoutes) { self.routes = routes }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let sent = request.uri.queryParameters.map { String($0.key) }
        if !sent.isEmpty, let route = route(request.method.rawValue, request.uri.path) {
            let unknown = Set(sent).subtracting(route.query).sorted()
            if !unknown.isEmpty {
                throw APIError.invalid(unknown.map { FieldProblem(field: $0, problem: "is not a query parameter of this route") })
            }
        }
        return try await next(request, context)
    }

    private func route(_ method: String, _ path: String) -> Route? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        return routes.first { r in
            r.method == method && r.segments.count == parts.count && zip(r.segments, parts).allSatisfy { $0 == nil || $0 == $1 }
        }
    }

    /// The routes of openapi.yaml (none if it cannot be read: then no query is refused).
    static let contractRoutes: [Route] = (try? OpenAPIDocument.dictionary()).map(routes(of:)) ?? []

    static func routes(of document: [String: Any]) -> [Route] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        let components = (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        func resolve(_ value: Any) -> [String: Any]? {
            guard let object = value as? [String: Any] else { return nil }
            guard let ref = object["$ref"] as? String else { return object }
            let parts = ref.split(separator: "/").map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
            if parts.count == 4, parts[1] == "components" { return components[parts[3]] as? [String: Any] }
            if parts.count == 3, parts[1] == "paths" { return paths[parts[2]] as? [String: Any] }
            return nil
        }
        var routes: [Route] = []
        for (path, item) in paths {
            guard let item = resolve(item) else { continue }
            let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { s -> String? in
                s.hasPrefix("{") ? nil : String(s)
            }
            let shared = (item["parameters"] as? [Any] ?? []).compactMap(resolve)
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let parameters = shared + (operation["parameters"] as? [Any] ?? []).compactMap(resolve)
                let query = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
                routes.append(Route(method: method.uppercased(), segments: segments, query: query))
            }
        }
        // Fixed segments before parameters, so `/api/v1/miners/register` is not taken for `{address}`.
        return routes.sorted { $0.segments.filter { $0 == nil }.count < $1.segments.filter { $0 == nil }.count }
    }
}
