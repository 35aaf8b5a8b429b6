// Random bits from the system's secure generator, fetched in bulk.

package import Foundation
import Synchronization

/// Bits from the operating system's secure generator (`arc4random_buf`, the kernel's `getrandom` in glibc), fetched 4 KiB at a time so that
/// one system call serves 256 reservation ids; each bit is the kernel's, so no id predicts another.
/// (SplitMix64 stays the tie-breaker: its bits need only be spread, not secret.)
package struct SecureRandom: RandomNumberGenerator, Sendable {
    private var words: [UInt64] = []
    private var used = 0

    package init() {}

    package mutating func next() -> UInt64 {
        if used == words.count { refill() }
        defer { used += 1 }
        return words[used]
    }

    private mutating func refill() {
        let count = words.isEmpty && used == 0 ? 4 : 512
        words = [UInt64](repeating: 0, count: count)
        words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
        used = 0
    }
}

extension SecureRandom {
    /// A word from one generator shared by the process, for ids made outside any lock of their own
    /// (request ids, match ids): one system call per 512 of them instead of one or two each.
    package static func word() -> UInt64 { shared.withLock { $0.next() } }

    private static let shared = Mutex(SecureRandom())
}

extension UUID {
    /// A version 4 UUID from the shared secure generator.
    package static func random() -> UUID {
        var bytes = (SecureRandom.word(), SecureRandom.word())
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = raw[6] & 0x0F | 0x40  // version 4
            raw[8] = raw[8] & 0x3F | 0x80  // RFC 4122 variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}
