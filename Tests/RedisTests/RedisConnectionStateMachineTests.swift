import Testing

@testable import Redis

/// The Redis slot lifecycle driven event by event, without sockets.
struct RedisConnectionStateMachineTests {
    @Test func aConnectionIsUsableOnlyAfterItsHandshake() {
        var machine = RedisConnectionStateMachine()
        #expect(machine.start() == .connect)
        #expect(machine.connected() == .handshake)
        #expect(machine.state == .handshaking(failures: 0))
        #expect(machine.handshakeSucceeded() == .becomeReady)
        #expect(machine.state == .ready)
    }

    @Test func failuresBackOffExponentiallyUpToTwoSecondsAndASuccessResets() {
        var machine = RedisConnectionStateMachine()
        _ = machine.start()
        var delays: [Duration] = []
        for _ in 0..<8 {
            guard case .reportLossAndWait(let delay) = machine.failed() else {
                Issue.record("no backoff")
                return
            }
            delays.append(delay)
            #expect(machine.backoffElapsed() == .connect)
        }
        #expect(delays.map { $0 / .milliseconds(1) } == [50, 100, 200, 400, 800, 1600, 2000, 2000])
        // a failed handshake counts as a failure too
        #expect(machine.connected() == .handshake)
        #expect(machine.failed() == .reportLossAndWait(.seconds(2)))
        #expect(machine.backoffElapsed() == .connect)
        #expect(machine.connected() == .handshake)
        #expect(machine.handshakeSucceeded() == .becomeReady)
        // once up, a lost connection reconnects at once, and the next failure waits 50 ms again
        #expect(machine.connectionLost() == .reportLossAndReconnect)
        #expect(machine.failed() == .reportLossAndWait(.milliseconds(50)))
    }

    @Test func closingStopsEveryPathAndClosesWhatWasOpenedMeanwhile() {
        var connecting = RedisConnectionStateMachine()
        _ = connecting.start()
        connecting.close()
        #expect(connecting.connected() == .closeConnection)

        var handshaking = RedisConnectionStateMachine()
        _ = handshaking.start()
        _ = handshaking.connected()
        handshaking.close()
        #expect(handshaking.handshakeSucceeded() == .closeConnection)

        var waiting = RedisConnectionStateMachine()
        _ = waiting.start()
        _ = waiting.failed()
        waiting.close()
        #expect(waiting.backoffElapsed() == .stop)

        var ready = RedisConnectionStateMachine()
        _ = ready.start()
        _ = ready.connected()
        _ = ready.handshakeSucceeded()
        ready.close()
        #expect(ready.connectionLost() == .stop)
        #expect(ready.failed() == .stop)

        var never = RedisConnectionStateMachine()
        never.close()
        #expect(never.start() == .stop)
    }
}
