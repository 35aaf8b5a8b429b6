public import Hummingbird
public import Logging

/// Per-request context: the request id every response and log line carries.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { maxBodyBytes }
}
