// The deterministic event id (Idempotency-Key) of each usage record.

/// The deterministic id of a usage event, sent as the coordinator's `Idempotency-Key`: the same job
/// result (or the same slice of a tenant's match requests) always yields the same id, so a record
/// written twice, or sent again after a crash, is recognised instead of billed twice.
///
/// The id is a UUID-shaped name hash (RFC 9562 version 8 layout over SHA-256): safe in a header
/// whatever characters a job id holds, and collision-free in practice.
package enum UsageEventID {
    /// The usage `resource` of job `jobID` run by `miner`.
    package static func job(_ jobID: String, miner: MinerAddress, resource: UsageResource) -> String {
        derive(["job", jobID, miner.value, resource.rawValue])
    }

    /// Match requests `first...last` (1-based, counted in order of recording) of `tenant` in the window starting at `windowStart`.
    package static func apiCalls(tenant: String, windowStart: Int64, first: Int64, last: Int64) -> String {
        derive(["api_calls", tenant, String(windowStart), String(first), String(last)])
    }

    /// Fields are length-prefixed so that no two field lists share a name.
    static func derive(_ fields: [String]) -> String {
        var name = Array("poolhub.usage.v1".utf8)
        for field in fields {
            name += Array("|\(field.utf8.count):".utf8)
            name += Array(field.utf8)
        }
        var bytes = Array(SHA256.digest(name).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
