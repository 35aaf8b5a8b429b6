// A long-running loop as a service.

import ServiceLifecycle

/// A long-running loop (the change feed, the scheduler lock) as a service: it is cancelled when
/// the service group shuts down gracefully, and the loop cleans up on cancellation.
struct BackgroundLoop: Service {
    let name: String
    let body: @Sendable () async -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown { await body() }
    }
}
