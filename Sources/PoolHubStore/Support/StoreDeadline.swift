// The deadline a request's storage work must meet (DATABASE_TIMEOUT_SECONDS from its arrival).

/// When the storage work of the current request must be done, or have failed as unavailable. Set once per
/// request, so a request that reads and then writes still answers within one database timeout, not two.
/// Background work has none and is bounded by the store itself.
package enum StoreDeadline {
    @TaskLocal package static var current: ContinuousClock.Instant?

    /// Runs `body` with every store call in it due by `deadline`.
    package static func within<T>(_ deadline: ContinuousClock.Instant, _ body: () async throws -> T) async rethrows -> T {
        try await $current.withValue(deadline, operation: body)
    }
}
