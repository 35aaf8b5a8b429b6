// A job run every interval as a service.

import Logging
import ServiceLifecycle

/// A background job run every `interval` until shutdown. A failing run is logged and retried at
/// the next tick, so one bad pass never stops the service. `atShutdown` runs once as the service
/// group shuts down gracefully (to store what is still in memory).
struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    var atShutdown: (@Sendable () async throws -> Void)? = nil
    let work: @Sendable () async throws -> Void

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await attempt(work)
        }
        if let atShutdown { await attempt(atShutdown) }
    }

    private func attempt(_ job: @Sendable () async throws -> Void) async {
        do {
            try await job()
        } catch {
            logger.error("background task failed", metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }
}
