/// A bad setting: start-up stops with this one line, naming the key.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var problem: String

    public init(_ key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration error: \(key) \(problem)" }
}
