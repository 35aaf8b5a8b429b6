import Foundation
import PoolHubStore
import Testing

@Suite struct CommitJournalTests {
    static func path() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolhub-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("hub.sqlite-calls").path
    }

    static func lines(_ texts: String...) -> [[UInt8]] { texts.map { Array($0.utf8) } }

    static func text(_ recovery: CommitJournal.Recovery) -> [String] { recovery.lines.map { String(decoding: $0, as: UTF8.self) } }

    @Test func aKilledProcessLeavesExactlyTheSegmentsAboveTheStoredOne() throws {
        let path = try Self.path()
        let journal = CommitJournal(path: path)
        #expect(journal.append(Self.lines("refused")) == false)  // not started: callers must wait for the store
        #expect(journal.seal() == nil)
        try journal.start(after: 0)
        #expect(journal.append(Self.lines("a", "b")))
        #expect(journal.seal() == 1)  // batch 1 holds a and b
        #expect(journal.append(Self.lines("c")))
        #expect(journal.seal() == 2)  // batch 2 holds c: segment 1's file is cleared for segment 3
        #expect(journal.append(Self.lines("d")))

        // What another process finds after a kill, by how far storage got.
        let after = CommitJournal(path: path)
        #expect(Self.text(try after.recover(storedThrough: 0)) == ["c", "d"])  // a and b are gone: batch 2 was taken after batch 1 was stored
        #expect(Self.text(try after.recover(storedThrough: 1)) == ["c", "d"])
        #expect(Self.text(try after.recover(storedThrough: 2)) == ["d"])
        #expect(Self.text(try after.recover(storedThrough: 3)) == [])
        #expect(try after.recover(storedThrough: 2).highestSegment == 3)

        // Started again above everything seen: nothing of before is replayed a second time.
        try after.start(after: 3)
        #expect(Self.text(try after.recover(storedThrough: 3)) == [])
        #expect(after.append(Self.lines("e")))
        #expect(after.seal() == 4)
        #expect(Self.text(try CommitJournal(path: path).recover(storedThrough: 3)) == ["e"])
    }

    @Test func aFullSegmentTakesNoMoreAppendsUntilTheNextSeal() throws {
        let path = try Self.path()
        let journal = CommitJournal(path: path, capacity: 64)  // 32 bytes of header, under 32 of lines
        try journal.start(after: 7)
        #expect(journal.append(Self.lines("0123456789")))
        #expect(journal.append(Self.lines("0123456789")))
        #expect(journal.append(Self.lines("0123456789")) == false)  // the caller waits for the store instead
        #expect(journal.seal() == 8)
        #expect(journal.append(Self.lines("abc")))
        #expect(Self.text(try CommitJournal(path: path).recover(storedThrough: 7)) == ["0123456789", "0123456789", "abc"])
        #expect(Self.text(try CommitJournal(path: path).recover(storedThrough: 8)) == ["abc"])
    }

    @Test func aMissingJournalRecoversNothing() throws {
        let recovery = try CommitJournal(path: Self.path()).recover(storedThrough: 0)
        #expect(recovery.lines.isEmpty)
        #expect(recovery.highestSegment == 0)
    }

    @Test func aJournalThatCannotBeOpenedTakesNoAppends() throws {
        let journal = CommitJournal(path: "/proc/poolhub-no-such-place/calls")
        #expect(throws: JournalError.self) { try journal.start(after: 0) }
        #expect(journal.append(Self.lines("x")) == false)
    }
}
