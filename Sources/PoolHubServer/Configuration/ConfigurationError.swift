// A bad setting, named by its key.

/// A bad setting: start-up stops with this one line, naming the key.
package struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    package var key: String
    package var problem: String

    package init(_ key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    package var description: String { "configuration error: \(key) \(problem)" }
}
