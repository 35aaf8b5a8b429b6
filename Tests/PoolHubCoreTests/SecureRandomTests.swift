import Foundation
import PoolHubCore
import Testing

@Suite struct SecureRandomTests {
    /// Match ids are version 4 UUIDs (RFC 4122 variant), and no two of many are alike.
    @Test func randomUUIDsAreVersion4AndDistinct() {
        var seen = Set<UUID>()
        for _ in 0..<2_000 {
            let id = UUID.random()
            let text = Array(id.uuidString)
            #expect(text[14] == "4")
            #expect("89AB".contains(text[19]))
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
    }

    /// Words from the shared generator spread over all 64 bits (each bit set in some word, clear in another).
    @Test func sharedWordsUseEveryBit() {
        var anySet: UInt64 = 0
        var allSet: UInt64 = .max
        for _ in 0..<1_000 {
            let w = SecureRandom.word()
            anySet |= w
            allSet &= w
        }
        #expect(anySet == .max)
        #expect(allSet == 0)
    }
}
