// A job run every interval as a service.

import Logging
import ServiceLifecycle

/// A background job run every `interval` until shutdown. A failing run is logged and retried at
/// the next tick, so one bad pass never stops the service.
struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            do {
                try await work()
            } catch {
                logger.error("background task failed", metadata: ["task": "\(name)", "error": "\(error)"])
            }
        }
    }
}
