// Reading a request's JSON body within the size limit.

import HTTPTypes
import Hummingbird

/// Bodies are JSON of at most `maxBodyBytes` (64 KiB).
let maxBodyBytes = 64 * 1024

extension Request {
    /// The body as JSON: 413 when too large, 400 when not JSON.
    mutating func jsonBody() async throws -> JSONValue {
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(.badRequest, "unsupported_content_type", "Send the body as application/json.")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > maxBodyBytes { throw APIError.tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge
        }
        guard buffer.readableBytes > 0 else { throw APIError.malformed("The request body is empty; send a JSON object.") }
        guard let value = JSONValue.parse(buffer.readableBytesView) else {
            throw APIError.malformed("The request body is not valid JSON (or nests deeper than 64 levels).")
        }
        return value
    }
}
