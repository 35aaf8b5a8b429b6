import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// One request captured from a real AITBC client: `Tests/Fixtures/aitbc-wire/captured-requests.jsonl`,
/// a copy of the shared `aitbc-wire` captures (a clean clone has no `../shared`).
struct Capture: Decodable, Sendable {
    var client: String
    var method: String
    var path: String
    var headers: [String: String]
    var body: String

    /// `METHOD /path`, as the router describes its routes.
    var route: String { "\(method) \(path)" }

    static func all() throws -> [Capture] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/aitbc-wire/captured-requests.jsonl")
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Capture.self, from: Data($0.utf8))
        }
    }

    /// The first capture of `route`, from `client` when named.
    static func first(_ route: String, from client: String? = nil) throws -> Capture {
        try #require(try all().first { $0.route == route && (client.map($0.client.hasPrefix) ?? true) })
    }

    static let gpuMiner = "production miner (GPU)"
    static let cpuMiner = "production miner (CPU only)"
}

/// An answer as a client sees it.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var body: String

    /// The body as a JSON object; nil when it is not one.
    var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    var json: [String: Any] { object ?? [:] }
}

extension TestClientProtocol {
    /// Sends `capture` as captured: method, path, headers and body; `body` replaces the body when given.
    func replay(_ capture: Capture, body: String? = nil, dropping dropped: Set<String> = []) async throws -> Answer {
        var headers = HTTPFields()
        for (name, value) in capture.headers where !dropped.contains(name.lowercased()) {
            headers.append(HTTPField(name: try #require(HTTPField.Name(name)), value: value))
        }
        let text = body ?? capture.body
        return try await execute(
            uri: capture.path, method: HTTPRequest.Method(rawValue: capture.method)!, headers: headers,
            body: text.isEmpty ? nil : ByteBuffer(string: text)
        ) { Answer(status: $0.status, body: String(buffer: $0.body)) }
    }
}

/// What each AITBC client reads from its answer (`aitbc-wire/README.md`): a 2xx other than 204, a
/// non-empty JSON object (Prometheus text for `/metrics`) and these fields.
struct ClientNeed {
    var fields: [String] = []
    /// Fields that must be `true`.
    var truths: [String] = []
    /// Fields of every `candidates[]` entry; the list must not be empty.
    var candidateFields: [String] = []
    var json = true

    static let health = ClientNeed(fields: ["status", "db", "redis", "miners_online", "db_error", "redis_error"])

    static let byRoute: [String: ClientNeed] = [
        "POST /v1/miners/register": ClientNeed(fields: ["success", "miner_id", "created"], truths: ["success"]),
        "POST /v1/miners/heartbeat": ClientNeed(fields: ["success", "miner_id"], truths: ["success"]),
        "GET /health": health,
        "GET /v1/health": health,
        "GET /v1/sla/status": ClientNeed(fields: ["status", "active_violations", "recent_metrics_count", "timestamp"]),
        "POST /v1/match": ClientNeed(
            fields: ["job_id", "candidates"], candidateFields: ["miner_id", "addr", "proto", "score", "explain", "eta_ms", "price"]),
        "GET /metrics": ClientNeed(json: false),
    ]

    func check(_ answer: Answer, for capture: Capture, sourceLocation: SourceLocation = #_sourceLocation) {
        let who = "\(capture.client): \(capture.route) → \(answer.status.code) \(answer.body.prefix(300))"
        #expect((200..<300).contains(answer.status.code) && answer.status != .noContent, "\(who)", sourceLocation: sourceLocation)
        #expect(!answer.body.isEmpty, "\(who)", sourceLocation: sourceLocation)
        guard json else { return }
        guard let object = answer.object, !object.isEmpty else {
            Issue.record("not a non-empty JSON object: \(who)", sourceLocation: sourceLocation)
            return
        }
        for field in fields { #expect(object.keys.contains(field), "no \(field): \(who)", sourceLocation: sourceLocation) }
        for field in truths { #expect(object[field] as? Bool == true, "\(field) is not true: \(who)", sourceLocation: sourceLocation) }
        guard !candidateFields.isEmpty else { return }
        let candidates = object["candidates"] as? [[String: Any]] ?? []
        #expect(!candidates.isEmpty, "no candidates: \(who)", sourceLocation: sourceLocation)
        for candidate in candidates {
            for field in candidateFields {
                #expect(candidate.keys.contains(field), "a candidate without \(field): \(who)", sourceLocation: sourceLocation)
            }
        }
    }
}

func candidates(_ json: [String: Any]) -> [[String: Any]] { json["candidates"] as? [[String: Any]] ?? [] }
func candidateIDs(_ json: [String: Any]) -> [String] { candidates(json).compactMap { $0["miner_id"] as? String } }
