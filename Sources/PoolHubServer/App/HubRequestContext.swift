// The per-request context of every route.

package import Hummingbird
package import Logging

/// Per-request context of the hub's routes.
package struct HubRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The request's id (`X-Request-Id`), set by `RequestIDMiddleware`.
    package var requestID = ""

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    package var maxUploadSize: Int { maxBodyBytes }

    /// The logger for a line about this request: tagged with its id only when a line is written, since a
    /// logger's metadata is costly to change (the text handler formats all of it on every change).
    package var requestLogger: Logger {
        var logger = self.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        return logger
    }
}
