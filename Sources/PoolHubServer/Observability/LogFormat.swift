// The log line formats (LOG_FORMAT) and the handler of the JSON one.

package import Foundation
package import Logging
import Synchronization

/// How log events are written on stderr.
package enum LogFormat: String, Sendable {
    case text
    case json
}

/// swift-log's text line (`StreamLogHandler`'s format: time, level, label, sorted metadata, source,
/// message), with the metadata formatted only when a line is written. The stream handler formats all of it
/// again each time a key is set, and the HTTP server sets the request id on every request's logger.
package struct TextLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    package init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        if let error = event.error {
            fields["error.message"] = "\(error)"
            fields["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let pretty = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let line = "\(Self.timestamp()) \(event.level) \(label):\(pretty) [\(event.source)] \(event.message)\n"
        write(Array(line.utf8))
    }

    /// Local time to the second with its offset, as the stream handler writes it.
    private static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One JSON object per line: `time`, `level`, `label`, `message`, then the metadata's keys as strings
/// (for Loki, Elasticsearch, journald). Written whole with one `write`, so concurrent lines never interleave.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    package init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        write(Array(Self.line(level: event.level, label: label, message: "\(event.message)", metadata: fields, at: Date()).utf8))
    }

    /// The JSON line of one event, newline included.
    package static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, at time: Date) -> String {
        var object: [String: String] = [:]
        for (key, value) in metadata { object[key] = "\(value)" }
        object["time"] = time.formatted(.iso8601)
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message
        // Fixed keys first, then the metadata sorted, so lines are easy to read and to diff.
        let order = ["time", "level", "label", "message"] + object.keys.filter { !["time", "level", "label", "message"].contains($0) }.sorted()
        return "{" + order.map { "\(quote($0)):\(quote(object[$0]!))" }.joined(separator: ",") + "}\n"
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    package static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        FileHandle.standardError.write(Data(bytes))
    }
}
