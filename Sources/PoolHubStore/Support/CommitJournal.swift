// A write-ahead journal that lets a group commit answer its callers before the write.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// An item a journaled group commit keeps on disk until its batch is stored.
package protocol JournalRecord: Sendable {
    /// The item as one line: no newline inside.
    var journalLine: [UInt8] { get }
}

/// Items of a group commit that are not stored yet, appended to a local file with one `write` each
/// before their caller is answered. A `write` is in the kernel's page cache once it returns, so the
/// items survive a killed process (`kill -9`) exactly as a SQLite commit in WAL mode with
/// `synchronous = NORMAL` does, for the price of a system call instead of a wait for the write.
///
/// The journal has two segment files that take turns. Each batch of the group commit takes the
/// segment its items were appended to (`seal`, numbered), and its write stores that number with the
/// items in one transaction; appends meanwhile go to the other file, which is cleared first (the
/// batch it held was stored before this one was taken: batches are written one at a time). After a
/// kill, `recover` returns the lines of the segments numbered above the stored number: exactly
/// the items that were answered and not stored, each once.
package final class CommitJournal: Sendable {
    /// The lines of segments not yet stored, oldest first, and the highest segment number on disk.
    package struct Recovery: Sendable {
        package var lines: [[UInt8]]
        package var highestSegment: Int64
    }

    private struct State {
        /// The two segment files, open once `start` ran.
        var files: [Int32] = []
        var active = 0
        var segment: Int64 = 0
        /// Whether appends are taken: from `start` until a write to the files fails.
        var open = false
    }

    /// The segment files are `path.0` and `path.1`.
    package let path: String
    private let state = Mutex(State())

    package init(path: String) {
        self.path = path
    }

    deinit {
        state.withLock { s in for file in s.files { close(file) } }
    }

    private func segmentPath(_ i: Int) -> String { "\(path).\(i)" }

    /// Reads both segment files: the lines of those numbered above `stored`, in segment order. A line cut
    /// short by a failed write is returned too; the reader skips what it cannot decode.
    package func recover(storedThrough stored: Int64) throws -> Recovery {
        var segments: [(number: Int64, lines: [[UInt8]])] = []
        for i in 0..<2 {
            guard let bytes = try Self.contents(of: segmentPath(i)) else { continue }
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
            guard let header = lines.first, let number = Self.segmentNumber(header) else { continue }
            lines.removeFirst()
            segments.append((number, lines))
        }
        let highest = segments.map(\.number).max() ?? 0
        let unstored = segments.filter { $0.number > stored }.sorted { $0.number < $1.number }
        return Recovery(lines: unstored.flatMap(\.lines), highestSegment: highest)
    }

    /// Clears both files and takes appends in a segment numbered above `after` (every number on disk and
    /// stored). Call once the recovered lines are stored.
    package func start(after: Int64) throws {
        try state.withLock { s in
            for file in s.files { close(file) }
            s.files = []
            s.open = false
            for i in 0..<2 {
                let file = open(segmentPath(i), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard file >= 0 else { throw JournalError(operation: "open \(segmentPath(i))", code: errno) }
                s.files.append(file)
            }
            // Segment 0 is never above a stored number: an empty second file.
            try Self.begin(s.files[1], segment: 0)
            s.segment = after + 1
            s.active = 0
            try Self.begin(s.files[0], segment: s.segment)
            s.open = true
        }
    }

    /// Appends one line per item to the current segment; false when the journal is not taking appends
    /// (not started, or a write failed: then the caller must wait for the store instead).
    package func append(_ lines: [[UInt8]]) -> Bool {
        state.withLock { s in
            guard s.open else { return false }
            var record: [UInt8] = []
            for line in lines {
                record += line
                record.append(UInt8(ascii: "\n"))
            }
            guard Self.writeAll(s.files[s.active], record) else {
                s.open = false
                return false
            }
            return true
        }
    }

    /// The number of the segment holding every append so far, for the batch taken with them; later
    /// appends go to a new segment. nil when the journal was never started.
    package func seal() -> Int64? {
        state.withLock { s in
            guard !s.files.isEmpty else { return nil }
            let sealed = s.segment
            // Once appends stopped, the last segment holds everything: it stays, each batch stores its number again.
            guard s.open else { return sealed }
            let next = 1 - s.active
            do {
                try Self.begin(s.files[next], segment: sealed + 1)
                s.active = next
                s.segment = sealed + 1
            } catch {
                s.open = false
            }
            return sealed
        }
    }

    /// Empties `file` and writes the header line of segment `number`.
    private static func begin(_ file: Int32, segment number: Int64) throws {
        guard ftruncate(file, 0) == 0, lseek(file, 0, SEEK_SET) == 0 else {
            throw JournalError(operation: "clear a segment", code: errno)
        }
        guard writeAll(file, Array("poolhub journal segment \(number)\n".utf8)) else {
            throw JournalError(operation: "write a segment header", code: errno)
        }
    }

    private static func segmentNumber(_ header: [UInt8]) -> Int64? {
        let prefix = Array("poolhub journal segment ".utf8)
        guard header.starts(with: prefix) else { return nil }
        return Int64(String(decoding: header.dropFirst(prefix.count), as: UTF8.self))
    }

    private static func writeAll(_ file: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(file, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
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
