// Waiting in tests for what other tasks and processes do, always with a deadline.

import Synchronization

/// Polls `condition` until it holds or `deadline` passes; true when it held (tests must never hang). The default
/// deadline is generous because it is only ever reached by a failure or by a box that the whole suite saturates
/// (two cores starting servers for every suite at once: a subscription once took 9 s there, and another over 10 s).
package func eventually(
    within deadline: Duration = .seconds(30), every step: Duration = .milliseconds(20), _ condition: () async -> Bool
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
