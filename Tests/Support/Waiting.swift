// Waiting in tests for what other tasks and processes do, always with a deadline.

import Synchronization

/// Polls `condition` until it holds or `deadline` passes; true when it held (tests must never hang).
package func eventually(
    within deadline: Duration = .seconds(10), every step: Duration = .milliseconds(20), _ condition: () async -> Bool
) async -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: step)
    }
    return await condition()
}

/// True when `task` ends within `deadline`: a task that ignored cancellation fails the test instead of hanging
/// the whole run (a time limit records the failure but cannot end an await that is never answered).
package func ends(_ task: Task<Void, Never>, within deadline: Duration = .seconds(15)) async -> Bool {
    let ended = EndFlag()
    Task {
        await task.value
        ended.value.store(true, ordering: .releasing)
    }
    return await eventually(within: deadline) { ended.value.load(ordering: .acquiring) }
}

private final class EndFlag: Sendable {
    let value = Atomic<Bool>(false)
}
