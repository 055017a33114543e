/// The life of one Redis connection slot (a pooled command connection, or the subscriber's),
/// as a value: events in, actions out, no sockets, so every transition is tested directly.
///
///     idle ──start──▶ connecting ──connected──▶ handshaking ──handshakeSucceeded──▶ ready
///                      ▲    │ failed                 │ failed                        │ connectionLost
///                      │    ▼                        ▼                               ▼
///                      └─ backingOff ◀───────────────┘              connecting (at once)
///     any ──close──▶ closed
///
/// A connection is usable only in `ready`, which it reaches after the handshake (AUTH, and INFO
/// for the server's run id, or SUBSCRIBE): whoever must learn of a Redis restart learns it
/// before any command can use the new connection. Retries back off exponentially, 50 ms
/// doubling to 2 s, reset by a successful handshake.
struct RedisConnectionStateMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case idle
        case connecting(failures: Int)
        case handshaking(failures: Int)
        case ready
        case backingOff(failures: Int)
        case closed
    }

    enum Action: Sendable, Equatable {
        /// Open a TCP connection.
        case connect
        /// Run the handshake on the connection just opened.
        case handshake
        /// Hand the connection out, then wait for it to close.
        case becomeReady
        /// Say Redis is unavailable, wait this long, then report `backoffElapsed`.
        case reportLossAndWait(Duration)
        /// Say Redis is unavailable, then connect again at once (a connection that was up
        /// dropped; the first retry does not wait).
        case reportLossAndReconnect
        /// Close the connection just opened: the slot was closed meanwhile.
        case closeConnection
        /// Nothing more to do: the slot is closed.
        case stop
    }

    static let firstDelay = Duration.milliseconds(50)
    static let maxDelay = Duration.seconds(2)

    private(set) var state = State.idle

    init() {}

    /// The delay after `failures` failures in a row.
    static func backoff(failures: Int) -> Duration {
        var delay = firstDelay
        for _ in 1..<max(1, failures) where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }

    mutating func start() -> Action {
        switch state {
        case .idle:
            state = .connecting(failures: 0)
            return .connect
        case .closed: return .stop
        default: preconditionFailure("Redis slot started twice (in \(state))")
        }
    }

    mutating func connected() -> Action {
        switch state {
        case .connecting(let failures):
            state = .handshaking(failures: failures)
            return .handshake
        case .closed: return .closeConnection
        default: preconditionFailure("Redis slot connected while \(state)")
        }
    }

    mutating func handshakeSucceeded() -> Action {
        switch state {
        case .handshaking:
            state = .ready
            return .becomeReady
        case .closed: return .closeConnection
        default: preconditionFailure("Redis handshake finished while \(state)")
        }
    }

    /// The connect or the handshake failed.
    mutating func failed() -> Action {
        switch state {
        case .connecting(let failures), .handshaking(let failures):
            state = .backingOff(failures: failures + 1)
            return .reportLossAndWait(Self.backoff(failures: failures + 1))
        case .closed: return .stop
        default: preconditionFailure("Redis connect failed while \(state)")
        }
    }

    mutating func backoffElapsed() -> Action {
        switch state {
        case .backingOff(let failures):
            state = .connecting(failures: failures)
            return .connect
        case .closed: return .stop
        default: preconditionFailure("Redis backoff ended while \(state)")
        }
    }

    /// A ready connection closed (the server went away, a command timed out, or it was killed).
    mutating func connectionLost() -> Action {
        switch state {
        case .ready:
            state = .connecting(failures: 0)
            return .reportLossAndReconnect
        case .closed: return .stop
        default: preconditionFailure("Redis connection lost while \(state)")
        }
    }

    /// Shutdown: from here on every event answers `stop` or `closeConnection`.
    mutating func close() {
        state = .closed
    }

    var isClosed: Bool { state == .closed }
}
