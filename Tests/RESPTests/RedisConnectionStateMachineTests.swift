import NIOCore
import Testing

@testable import RESP

@Suite struct RedisConnectionStateMachineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func repliesAreMatchedInOrderAndPipelinesCollectTheirCount() {
        var machine = RedisConnectionStateMachine<String>(acceptsPushes: false)
        guard case .write = machine.enqueue("a", expected: 1, deadline: start) else {
            Issue.record()
            return
        }
        guard case .write = machine.enqueue("pipe", expected: 2, deadline: start) else {
            Issue.record()
            return
        }

        guard case .succeed("a", [.integer(1)]) = machine.receive(.integer(1)) else {
            Issue.record()
            return
        }
        guard case .none = machine.receive(.simpleString("OK")) else {
            Issue.record()
            return
        }
        guard case .succeed("pipe", [.simpleString("OK"), .error("ERR x")]) = machine.receive(.error("ERR x")) else {
            Issue.record()
            return
        }
        #expect(machine.nextDeadline == nil)
    }

    @Test func unsolicitedReplyIsAViolationUnlessSubscriber() {
        var commands = RedisConnectionStateMachine<String>(acceptsPushes: false)
        guard case .close([], .protocolViolation) = commands.receive(.integer(1)) else {
            Issue.record()
            return
        }
        guard case .fail("late", .protocolViolation) = commands.enqueue("late", expected: 1, deadline: start) else {
            Issue.record()
            return
        }

        var subscriber = RedisConnectionStateMachine<String>(acceptsPushes: true)
        guard case .push(.integer(1)) = subscriber.receive(.integer(1)) else {
            Issue.record()
            return
        }
    }

    @Test func headTimeoutClosesAndFailsTheRest() {
        var machine = RedisConnectionStateMachine<String>(acceptsPushes: false)
        _ = machine.enqueue("a", expected: 1, deadline: start)
        _ = machine.enqueue("b", expected: 1, deadline: start + .seconds(1))
        guard case .rearm(let deadline) = machine.timerFired(now: start - .milliseconds(1)) else {
            Issue.record()
            return
        }
        #expect(deadline == start)
        guard case .close(timedOut: "a", others: ["b"]) = machine.timerFired(now: start) else {
            Issue.record()
            return
        }
        guard case .fail("c", .unavailable) = machine.enqueue("c", expected: 1, deadline: start) else {
            Issue.record()
            return
        }
    }

    @Test func aReplyRestartsTheNextHeadsClock() {
        var machine = RedisConnectionStateMachine<String>(acceptsPushes: false)
        _ = machine.enqueue("a", expected: 1, deadline: start)
        _ = machine.enqueue("b", expected: 1, deadline: start)
        guard case .succeed("a", _) = machine.receive(.integer(1)) else {
            Issue.record()
            return
        }
        // "b" queued as long as "a" but the connection is answering: it gets a full timeout from the reply.
        machine.progressed(deadline: start + .seconds(2))
        guard case .rearm(let deadline) = machine.timerFired(now: start) else {
            Issue.record()
            return
        }
        #expect(deadline == start + .seconds(2))
        // A later deadline is never pulled earlier.
        machine.progressed(deadline: start + .seconds(1))
        #expect(machine.nextDeadline == start + .seconds(2))
        guard case .close(timedOut: "b", others: []) = machine.timerFired(now: start + .seconds(2)) else {
            Issue.record()
            return
        }
    }

    @Test func closeFailsEverythingOnceWithTheFirstCause() {
        var machine = RedisConnectionStateMachine<String>(acceptsPushes: false)
        _ = machine.enqueue("a", expected: 1, deadline: start)
        _ = machine.enqueue("b", expected: 3, deadline: start)
        let (waiters, error) = machine.closed(.protocolViolation("bad"))
        #expect(waiters == ["a", "b"])
        #expect(error == .protocolViolation("bad"))
        let (again, first) = machine.closed(.unavailable("connection closed"))
        #expect(again.isEmpty)
        #expect(first == .protocolViolation("bad"))
    }
}

@Suite struct ReconnectBackoffTests {
    @Test func delaysGrowFrom100msTo2s() {
        let delays = (1...8).map { ReconnectBackoff.delay(afterFailures: $0) }
        #expect(delays == [100, 200, 400, 800, 1600, 2000, 2000, 2000].map { Duration.milliseconds($0) })
    }

    @Test func callsFailFastUntilTheRetryTime() {
        var backoff = ReconnectBackoff()
        let now = ContinuousClock.now
        #expect(backoff.waitRemaining(now: now) == nil)
        backoff.failed(.unavailable("refused"), now: now)
        #expect(backoff.waitRemaining(now: now + .milliseconds(50)) == .milliseconds(50))
        #expect(backoff.waitRemaining(now: now + .milliseconds(100)) == nil)
        backoff.failed(.unavailable("refused"), now: now)
        #expect(backoff.waitRemaining(now: now + .milliseconds(150)) != nil)
        backoff.succeeded()
        #expect(backoff.waitRemaining(now: now) == nil)
        #expect(backoff.failures == 0)
    }
}

/// The digest EVALSHA names a script by must be exactly what Redis computes (`SCRIPT LOAD`).
@Suite struct RedisScriptDigestTests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ])
    func knownVectors(_ source: String, _ digest: String) {
        #expect(RedisScript(source).sha1 == digest)
    }

    @Test func millionAs() {
        #expect(RedisScript(String(repeating: "a", count: 1_000_000)).sha1 == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
