// The options every admin command shares: where the hub is, the key, and the output form.

import ArgumentParser
import Foundation

/// `--url`, `--api-key` and `--json`, with their environment defaults.
struct AdminOptions: ParsableArguments {
    @Option(help: "The hub's base URL (default: POOLHUB_URL, else http://127.0.0.1:8000).")
    var url: String?

    @Option(help: "An API key, sent as X-API-Key (default: POOLHUB_API_KEY).")
    var apiKey: String?

    @Flag(help: "Print the hub's JSON answer instead of a table.")
    var json = false

    var client: AdminClient {
        let environment = ProcessInfo.processInfo.environment
        return AdminClient(
            base: url ?? environment["POOLHUB_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8000",
            apiKey: apiKey ?? environment["POOLHUB_API_KEY"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// Runs an admin command's body: a failure is one line on stderr and exit status 1.
func runAdmin(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as AdminClient.Failure {
        FileHandle.standardError.write(Data("poolhub: \(failure.description)\n".utf8))
        throw ExitCode(1)
    }
}

/// The JSON of an answer, as `--json` prints it: indented, keys sorted, so scripts and diffs are stable.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
