// The contract (openapi.yaml) served as JSON.

import Foundation
import Yams

/// The contract, kept as `openapi.yaml` and served as JSON.
enum OpenAPIDocument {
    private static let cached: Result<[UInt8], any Error> = Result {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let yaml = try String(contentsOf: url, encoding: .utf8)
        guard let document = try Yams.load(yaml: yaml) else { throw CocoaError(.fileReadCorruptFile) }
        return [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
    }

    static func json() throws -> [UInt8] { try cached.get() }
}
