// A write-ahead journal that lets a group commit answer its callers before the write.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// An item a journaled group commit keeps on disk until its batch is stored.
package protocol JournalRecord: Sendable {
    /// The item as one line: no newline and no zero byte inside.
    var journalLine: [UInt8] { get }
}

/// Items of a group commit that are not stored yet, copied into a memory-mapped local file before
/// their caller is answered. A shared mapping's pages belong to the kernel's page cache, so the items
/// survive a killed process (`kill -9`) exactly as a SQLite commit in WAL mode with `synchronous = NORMAL`
/// does, for the price of a copy: no system call, no wait for the write.
///
/// The journal has two segment files that take turns. Each batch of the group commit takes the
/// segment its items were appended to (`seal`, numbered), and its write stores that number with the
/// items in one transaction; appends meanwhile go to the other file, which is cleared first (the
/// batch it held was stored before this one was taken: batches are written one at a time). After a
/// kill, `recover` returns the lines of the segments numbered above the stored number: exactly
/// the items that were answered and not stored, each once.
///
/// A file is a 32-byte header (a magic line and the segment number) and then lines, each ended by a
/// newline; the rest is zeros. A segment that is full takes no more appends until the next seal.
package final class CommitJournal: @unchecked Sendable {
    /// The lines of segments not yet stored, oldest first, and the highest segment number on disk.
    package struct Recovery: Sendable {
        package var lines: [[UInt8]]
        package var highestSegment: Int64
    }

    private struct Segment {
        var file: Int32
        var base: UnsafeMutableRawPointer
        /// Bytes of lines written after the header.
        var used = 0
    }

    private struct State {
        /// The two segment files, mapped once `start` ran.
        var segments: [Segment] = []
        var active = 0
        var number: Int64 = 0
        /// Whether appends are taken: from `start` until the files cannot be cleared.
        var open = false
    }

    /// The segment files are `path.0` and `path.1`.
    package let path: String
    /// Each file's size: the header and at most this many bytes of lines less 32.
    package let capacity: Int
    // Mutex-guarded: the mappings are only touched under the lock.
    private let state = Mutex(State())

    private static let magic = Array("poolhub journal\n".utf8)
    private static let headerSize = 32

    package init(path: String, capacity: Int = 64 << 20) {
        self.path = path
        self.capacity = capacity
    }

    deinit {
        state.withLock { s in Self.unmap(&s.segments, capacity: capacity) }
    }

    private func segmentPath(_ i: Int) -> String { "\(path).\(i)" }

    /// Reads both segment files: the lines of those numbered above `stored`, in segment order. A line cut
    /// short by a kill is returned too; the reader skips what it cannot decode.
    package func recover(storedThrough stored: Int64) throws -> Recovery {
        var segments: [(number: Int64, lines: [[UInt8]])] = []
        for i in 0..<2 {
            guard let bytes = try Self.contents(of: segmentPath(i)), bytes.count >= Self.headerSize,
                bytes.starts(with: Self.magic)
            else { continue }
            let number = bytes[16..<24].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let body = bytes[Self.headerSize...].prefix { $0 != 0 }
            segments.append((number, body.split(separator: UInt8(ascii: "\n")).map(Array.init)))
        }
        let highest = segments.map(\.number).max() ?? 0
        let unstored = segments.filter { $0.number > stored }.sorted { $0.number < $1.number }
        return Recovery(lines: unstored.flatMap(\.lines), highestSegment: highest)
    }

    /// Clears both files and takes appends in a segment numbered above `after` (every number on disk and
    /// stored). Call once the recovered lines are stored.
    package func start(after: Int64) throws {
        try state.withLock { s in
            Self.unmap(&s.segments, capacity: capacity)
            s.open = false
            for i in 0..<2 {
                let file = open(segmentPath(i), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard file >= 0 else { throw JournalError(operation: "open \(segmentPath(i))", code: errno) }
                // Emptied, then sized: the old lines are gone and the new pages read as zeros.
                guard ftruncate(file, 0) == 0, ftruncate(file, off_t(capacity)) == 0 else {
                    let code = errno
                    close(file)
                    throw JournalError(operation: "size \(segmentPath(i))", code: code)
                }
                guard let base = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0),
                    base != UnsafeMutableRawPointer(bitPattern: -1)
                else {
                    let code = errno
                    close(file)
                    throw JournalError(operation: "map \(segmentPath(i))", code: code)
                }
                s.segments.append(Segment(file: file, base: base))
            }
            s.number = after + 1
            s.active = 0
            Self.begin(&s.segments[0], number: s.number)
            s.open = true
        }
    }

    /// Appends one line per item to the current segment; false when the journal is not taking appends
    /// (not started, or the segment is full: then the caller must wait for the store instead).
    package func append(_ lines: [[UInt8]]) -> Bool {
        state.withLock { s in
            guard s.open else { return false }
            let size = lines.reduce(0) { $0 + $1.count + 1 }
            let segment = s.segments[s.active]
            guard Self.headerSize + segment.used + size < capacity else { return false }
            var at = segment.base + Self.headerSize + segment.used
            for line in lines {
                line.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                at += line.count
                at.storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self)
                at += 1
            }
            s.segments[s.active].used += size
            return true
        }
    }

    /// The number of the segment holding every append so far, for the batch taken with them; later
    /// appends go to a new segment. nil when the journal was never started.
    package func seal() -> Int64? {
        state.withLock { s in
            guard s.open else { return s.segments.isEmpty ? nil : s.number }
            let sealed = s.number
            s.active = 1 - s.active
            s.number = sealed + 1
            Self.begin(&s.segments[s.active], number: s.number)
            return sealed
        }
    }

    /// Clears `segment`'s lines, then numbers it: killed in between, it holds no lines under its old
    /// (stored) number.
    private static func begin(_ segment: inout Segment, number: Int64) {
        (segment.base + headerSize).initializeMemory(as: UInt8.self, repeating: 0, count: segment.used)
        segment.used = 0
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        magic.withUnsafeBytes { segment.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        (segment.base + 16).storeBytes(of: number.littleEndian, as: Int64.self)
    }

    private static func unmap(_ segments: inout [Segment], capacity: Int) {
        for segment in segments {
            munmap(segment.base, capacity)
            close(segment.file)
        }
        segments = []
    }

    /// The whole file, or nil when there is none.
    private static func contents(of path: String) throws -> [UInt8]? {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else {
            if errno == ENOENT { return nil }
            throw JournalError(operation: "open \(path)", code: errno)
        }
        defer { close(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw JournalError(operation: "read \(path)", code: errno) }
            guard count > 0 else { return bytes }
            bytes += chunk[0..<count]
        }
    }
}

/// A journal file could not be opened, read or written.
package struct JournalError: Error, CustomStringConvertible {
    package var operation: String
    package var code: Int32
    package var description: String { "journal: cannot \(operation): \(String(cString: strerror(code)))" }
}
