// The scheduled billing sync.

import Foundation
import Logging
import PoolHubCore
import PoolHubStore
import ServiceLifecycle

/// The scheduled billing sync: a pass every `BILLING_SYNC_INTERVAL_HOURS` on the scheduler-holding
/// instance (others skip their turn), and sooner when a pass left failed records whose backoff ends
/// before the next interval. The first pass comes a minute after start-up, so that a restarted hub
/// resumes delivering without waiting a whole interval. With sync off it still turns ended
/// match-request windows into records.
struct BillingSyncService: Service {
    let sync: BillingSync
    let scheduler: any SchedulerLock
    let clock: any HubClock
    let logger: Logger

    func run() async throws {
        let interval = sync.configuration.syncInterval
        var wait = min(interval, 60)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = Duration.seconds(wait)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
            wait = interval
            guard scheduler.isHeld else { continue }
            do {
                if let report = try await sync.run(.scheduled), let retry = report.nextRetryAt {
                    wait = min(interval, max(1, retry.timeIntervalSince(clock.now())))
                }
            } catch {
                logger.error("billing sync failed", metadata: ["error": "\(error)"])
                wait = min(interval, 60)
            }
        }
    }
}
