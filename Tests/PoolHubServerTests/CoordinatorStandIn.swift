import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on loopback standing in for the coordinator's billing API: it keeps each usage
/// event once by its `Idempotency-Key` (409 for a key it has), and can fail, time out, reject, or stop
/// listening (refused connections) on demand. It records everything it saw, so tests can check that
/// every event was billed exactly once in effect and that no key was ever in flight twice at once.
final class CoordinatorStandIn: Sendable {
    /// What to do with one usage request.
    enum Action: Sendable {
        /// Keep it (201), or answer 409 for a key already kept.
        case accept
        /// Keep it, then answer only after `hold`: the hub has given up waiting by then.
        case acceptThenHold(Duration)
        /// Wait, then as `accept` (makes requests overlap in time).
        case acceptAfter(Duration)
        /// Answer this status (5xx, 4xx) without keeping anything.
        case answer(Int, String)
    }

    /// One usage event as kept.
    struct Usage: Sendable {
        var eventID: String
        var tenantID: String
        var amount: Decimal
        var body: Data
    }

    struct Ledger: Sendable {
        /// The first kept body of each event.
        var kept: [String: Usage] = [:]
        /// Requests per key.
        var received: [String: Int] = [:]
        /// Requests that came again for a key already kept, and how many of those answers the hub never got.
        var afterKept: [String: Int] = [:]
        var heldAnswers: [String: Int] = [:]
        /// Retries whose body differed from the kept one, requests whose key was not the body's event_id,
        /// requests without the bearer key, and requests that arrived while another of the same key was in flight.
        var bodyMismatches = 0
        var keyMismatches = 0
        var unauthorized = 0
        var overlaps: [String] = []
        var requests = 0
        var invoiceRequests: [[String: String]] = []
    }

    private struct State {
        var policy: @Sendable (_ request: Int, _ eventID: String) -> Action = { _, _ in .accept }
        var invoice: (status: Int, body: String) = (200, #"{"invoice_id": "inv-1", "total_amount": "12.34"}"#)
        var ledger = Ledger()
        var inFlight: [String: Int] = [:]
        var server: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var serving: Task<Void, Never>?
    }

    let apiKey: String
    private let state = Mutex(State())
    private let boundPort = Mutex(0)

    private init(apiKey: String) { self.apiKey = apiKey }

    /// Starts listening on a free loopback port.
    static func start(apiKey: String = "coordinator-secret") async throws -> CoordinatorStandIn {
        let standIn = CoordinatorStandIn(apiKey: apiKey)
        try await standIn.listen()
        return standIn
    }

    var port: Int { boundPort.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)" }
    var ledger: Ledger { state.withLock { $0.ledger } }

    func setPolicy(_ policy: @escaping @Sendable (_ request: Int, _ eventID: String) -> Action) {
        state.withLock { $0.policy = policy }
    }

    func setInvoiceAnswer(status: Int, body: String) {
        state.withLock { $0.invoice = (status, body) }
    }

    /// Stops listening and drops every connection: the hub's requests are refused until `listen()`.
    func stop() async {
        let (server, connections, serving) = state.withLock { s in
            defer {
                s.server = nil
                s.connections = [:]
                s.serving = nil
            }
            return (s.server, Array(s.connections.values), s.serving)
        }
        serving?.cancel()
        try? await server?.close()
        for connection in connections { try? await connection.close() }
        await serving?.value
    }

    /// Listens again, on the same port as before (or a free one the first time).
    func listen() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        boundPort.withLock { $0 = server.channel.localAddress?.port ?? 0 }
        let serving = Task<Void, Never> {
            await withDiscardingTaskGroup { group in
                try? await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let id = ObjectIdentifier(connection.channel)
                        self.state.withLock { $0.connections[id] = connection.channel }
                        group.addTask {
                            await self.serve(connection)
                            _ = self.state.withLock { $0.connections.removeValue(forKey: id) }
                        }
                    }
                }
            }
        }
        state.withLock { s in
            s.server = server.channel
            s.serving = serving
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { continue }
                    let (status, answer) = await self.respond(head, body: Data(body.readableBytesView))
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: String(answer.utf8.count))
                    try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: answer))))
                    try await outbound.write(.end(nil))
                }
            }
        }
    }

    private func respond(_ head: HTTPRequestHead, body: Data) async -> (Int, String) {
        let authorized = head.headers.first(name: "Authorization") == "Bearer \(apiKey)"
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        switch head.uri {
        case "/api/billing/invoice":
            return state.withLock { s in
                if !authorized { s.ledger.unauthorized += 1 }
                s.ledger.invoiceRequests.append(object.compactMapValues { $0 as? String })
                return s.invoice
            }
        case "/api/billing/usage":
            break
        default:
            return (404, #"{"error": "no such route"}"#)
        }
        let key = head.headers.first(name: "Idempotency-Key") ?? ""
        let eventID = object["event_id"] as? String ?? ""
        let action = state.withLock { s -> Action in
            s.ledger.requests += 1
            s.ledger.received[key, default: 0] += 1
            if !authorized { s.ledger.unauthorized += 1 }
            if key != eventID || key.isEmpty { s.ledger.keyMismatches += 1 }
            if s.inFlight[key, default: 0] > 0 { s.ledger.overlaps.append(key) }
            s.inFlight[key, default: 0] += 1
            return s.policy(s.ledger.requests, key)
        }
        defer { state.withLock { $0.inFlight[key, default: 1] -= 1 } }
        switch action {
        case .answer(let status, let text):
            return (status, text)
        case .acceptAfter(let wait):
            try? await Task.sleep(for: wait)
            return keep(key, object, body)
        case .acceptThenHold(let hold):
            let answer = keep(key, object, body)
            state.withLock { _ = $0.ledger.heldAnswers[key, default: 0] += 1 }
            try? await Task.sleep(for: hold)
            return answer
        case .accept:
            return keep(key, object, body)
        }
    }

    private func keep(_ key: String, _ object: [String: Any], _ body: Data) -> (Int, String) {
        state.withLock { s in
            if let kept = s.ledger.kept[key] {
                s.ledger.afterKept[key, default: 0] += 1
                if kept.body != body { s.ledger.bodyMismatches += 1 }
                return (409, #"{"error": "duplicate idempotency key"}"#)
            }
            s.ledger.kept[key] = Usage(
                eventID: key, tenantID: object["tenant_id"] as? String ?? "",
                amount: Decimal(string: object["total_amount"] as? String ?? "") ?? -1_000_000, body: body)
            return (201, #"{"status": "recorded"}"#)
        }
    }
}
