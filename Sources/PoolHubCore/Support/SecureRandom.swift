// Random bits from the system's secure generator, fetched in bulk.

import Foundation

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
