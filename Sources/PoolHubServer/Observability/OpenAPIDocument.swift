// The contract (openapi.yaml) served as JSON.

import Foundation
import Yams

/// The contract, kept as `openapi.yaml` and served as JSON.
enum OpenAPIDocument {
    private static let cached: Result<[UInt8], any Error> = Result {
        [UInt8](try JSONSerialization.data(withJSONObject: try dictionary(), options: [.sortedKeys]))
    }

    static func json() throws -> [UInt8] { try cached.get() }

    /// The document as parsed from YAML.
    static func dictionary() throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let yaml = try String(contentsOf: url, encoding: .utf8)
        guard let document = try Yams.load(yaml: yaml) as? [String: Any] else { throw CocoaError(.fileReadCorruptFile) }
        return document
    }
}
