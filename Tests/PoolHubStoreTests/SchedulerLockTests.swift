import PoolHubStore
import PoolHubTestSupport
import Testing

@Suite struct SchedulerLockTests {
    /// A sole instance holds the lock for as long as it runs, and its run ends when cancelled (the service group's shutdown):
    /// a run that ignored cancellation fails here instead of hanging the test run.
    @Test(.timeLimit(.minutes(1))) func aSoleInstanceHoldsTheLockAndStopsWhenCancelled() async {
        let lock = SoleInstanceLock()
        let task = Task { await lock.run() }
        #expect(lock.isHeld)
        task.cancel()
        #expect(await ends(task), "the lock's run did not end when cancelled")
    }

    @Test(.enabled(if: TestPostgres.isConfigured), .timeLimit(.minutes(1)))
    func oneInstanceHoldsAndTheOtherTakesOverWhenItStops() async throws {
        let location = try await TestPostgres.createDatabase()
        let retry = Duration.milliseconds(100)
        let first = PostgresSchedulerLock(location: location, retryInterval: retry, logger: testLogger)
        let second = PostgresSchedulerLock(location: location, retryInterval: retry, logger: testLogger)
        let firstTask = Task { await first.run() }
        let secondTask = Task { await second.run() }
        defer {
            firstTask.cancel()
            secondTask.cancel()
        }

        #expect(await eventually(within: .seconds(15)) { first.isHeld || second.isHeld })
        // For several retry intervals, never both.
        var bothSeen = false
        _ = await eventually(within: .milliseconds(600)) {
            if first.isHeld && second.isHeld { bothSeen = true }
            return false
        }
        #expect(!bothSeen)
        #expect(first.isHeld != second.isHeld)

        let (holder, holderTask, other) = first.isHeld ? (first, firstTask, second) : (second, secondTask, first)
        holderTask.cancel()
        #expect(await ends(holderTask), "the lock's run did not end when cancelled")
        #expect(!holder.isHeld)
        #expect(await eventually(within: .seconds(15)) { other.isHeld }, "the other instance did not take over")
    }

    @Test(.enabled(if: TestPostgres.isConfigured), .timeLimit(.minutes(1)))
    func differentKeysAreIndependent() async throws {
        let location = try await TestPostgres.createDatabase()
        let a = PostgresSchedulerLock(location: location, key: 1, retryInterval: .milliseconds(100), logger: testLogger)
        let b = PostgresSchedulerLock(location: location, key: 2, retryInterval: .milliseconds(100), logger: testLogger)
        let tasks = [Task { await a.run() }, Task { await b.run() }]
        defer { tasks.forEach { $0.cancel() } }
        #expect(await eventually(within: .seconds(15)) { a.isHeld && b.isHeld })
    }
}

extension SchedulerLockTests {
    @Test(.enabled(if: ThrowawayCluster.isPossible), .timeLimit(.minutes(1)))
    func aLostServerDropsTheLockAndARestartedOneGivesItBack() async throws {
        let cluster = try await ThrowawayCluster()
        defer { cluster.destroy() }
        try await cluster.start()
        let lock = PostgresSchedulerLock(location: cluster.location, retryInterval: .milliseconds(100), logger: testLogger)
        let task = Task { await lock.run() }
        defer { task.cancel() }
        #expect(await eventually(within: .seconds(15)) { lock.isHeld })
        try await cluster.stop()
        #expect(await eventually(within: .seconds(15)) { !lock.isHeld }, "still claims the lock with the server down")
        try await cluster.start()
        #expect(await eventually(within: .seconds(30)) { lock.isHeld }, "did not take the lock again")
        task.cancel()
        #expect(await ends(task), "the lock's run did not end when cancelled")
        #expect(!lock.isHeld)
    }

    /// A server that stops answering with the session open: the check is never answered, so the lock counts as lost
    /// by its answer wait, and the run still ends when cancelled (an unanswered query is abandoned, not awaited).
    @Test(.enabled(if: TestPostgres.isConfigured), .timeLimit(.minutes(2)))
    func aServerThatHangsDropsTheLockAndTheRunStillEnds() async throws {
        let (location, proxy) = try await TestPostgres.createDatabaseBehindProxy()
        let lock = PostgresSchedulerLock(location: location, retryInterval: .milliseconds(100), logger: testLogger)
        let task = Task { await lock.run() }
        defer { task.cancel() }
        // Taking the lock first is only a wait (a saturated box once needed more than 15 s for it).
        #expect(await eventually(within: .seconds(45)) { lock.isHeld })
        proxy.freeze()
        #expect(await eventually(within: .seconds(15)) { !lock.isHeld }, "still claims the lock with the server silent")
        task.cancel()
        #expect(await ends(task), "the lock's run did not end when cancelled")
        await proxy.close()
    }
}
