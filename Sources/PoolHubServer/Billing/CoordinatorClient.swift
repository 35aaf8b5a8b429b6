// The coordinator's billing API client.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PoolHubCore

/// The coordinator's billing API (API.md, "Outbound"): `POST /api/billing/usage` and `/api/billing/invoice`,
/// with `Authorization: Bearer COORDINATOR_API_KEY`. Every request has a deadline, connection included.
struct CoordinatorClient: Sendable {
    /// What came back: an HTTP answer, or none (refused, reset, timed out).
    enum Answer: Sendable {
        case status(Int, body: [UInt8])
        case unreachable(String)
    }

    let baseURL: String
    let apiKey: String?
    let timeout: TimeInterval

    /// Sends one usage record, keyed by its event id so that the coordinator keeps it once however often it comes.
    func send(_ record: UsageRecord) async -> Answer {
        await post("/api/billing/usage", body: Self.payload(record), headers: [("Idempotency-Key", record.eventID)])
    }

    func requestInvoice(tenantID: String, periodStart: Date, periodEnd: Date) async -> Answer {
        struct Body: Encodable {
            var tenant_id: String
            var period_start: String
            var period_end: String
        }
        let body = Body(
            tenant_id: tenantID, period_start: periodStart.formatted(.iso8601), period_end: periodEnd.formatted(.iso8601))
        return await post("/api/billing/invoice", body: (try? Self.encoder.encode(body)) ?? Data())
    }

    private func post(_ path: String, body: Data, headers extra: [(String, String)] = []) async -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: TimeAmount(.seconds(timeout)))
            // The status decides; a body that cannot be read whole is only a poorer error message.
            let buffer = try? await response.body.collect(upTo: 64 * 1024)
            return .status(Int(response.status.code), body: buffer.map { Array($0.readableBytesView) } ?? [])
        } catch {
            return .unreachable("\(error)")
        }
    }

    /// The body of API.md: decimal strings for money and quantities, keys in a fixed order so that a
    /// retry sends exactly the bytes of the first attempt.
    static func payload(_ record: UsageRecord) -> Data {
        struct Payload: Encodable {
            var record: UsageRecord

            enum Key: String, CodingKey {
                case event_id, tenant_id, miner_id, job_id, resource_type, quantity, unit, unit_price, total_amount, currency
                case timestamp, metadata
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(record.eventID, forKey: .event_id)
                try c.encode(record.tenantID, forKey: .tenant_id)
                try c.encode(record.minerID, forKey: .miner_id)
                try c.encode(record.jobID, forKey: .job_id)
                try c.encode(record.resource.rawValue, forKey: .resource_type)
                try c.encode(record.quantity.formatted(), forKey: .quantity)
                try c.encode(record.unit, forKey: .unit)
                try c.encode(record.unitPrice.moneyString, forKey: .unit_price)
                try c.encode(record.amount.formatted(minimumFractionDigits: 2), forKey: .total_amount)
                try c.encode(UsageRecord.currency, forKey: .currency)
                try c.encode(record.timestamp.formatted(.iso8601), forKey: .timestamp)
                try c.encode(record.metadata, forKey: .metadata)
            }
        }
        return (try? encoder.encode(Payload(record: record))) ?? Data()
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The start of a body, for an error message.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }
}
