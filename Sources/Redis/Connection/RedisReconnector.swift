import NIOConcurrencyHelpers

/// Keeps one Redis connection slot connected by performing what its
/// `RedisConnectionStateMachine` asks; the pooled client and the subscriber each hand in how to
/// connect, handshake and use a connection, and share this one loop.
final class RedisReconnector<Connection: Sendable>: Sendable {
    struct Hooks: Sendable {
        /// Opens a connection (TCP, and AUTH where configured).
        var connect: @Sendable () async throws -> Connection
        /// Readies it before anyone may use it (INFO for the run id, or SUBSCRIBE).
        var handshake: @Sendable (Connection) async throws -> Void
        /// Hands it out.
        var ready: @Sendable (Connection) -> Void
        /// Returns when it has closed.
        var closed: @Sendable (Connection) async -> Void
        /// Takes it back from users (it closed).
        var retire: @Sendable (Connection) -> Void
        /// Redis is unavailable (told after every failure; listeners deduplicate).
        var lost: @Sendable () -> Void
        var close: @Sendable (Connection) async -> Void
    }

    let box = NIOLockedValueBox<(machine: RedisConnectionStateMachine, current: Connection?)>((.init(), nil))
    let hooks: Hooks

    init(_ hooks: Hooks) {
        self.hooks = hooks
    }

    func run() async {
        var action = box.withLockedValue { $0.machine.start() }
        while true {
            switch action {
            case .connect:
                do {
                    let connection = try await hooks.connect()
                    action = box.withLockedValue { box in
                        let next = box.machine.connected()
                        if next == .handshake { box.current = connection }
                        return next
                    }
                    if action == .closeConnection { await hooks.close(connection) }
                } catch {
                    action = box.withLockedValue { $0.machine.failed() }
                }
            case .handshake:
                guard let connection = box.withLockedValue({ $0.current }) else { return }
                do {
                    try await hooks.handshake(connection)
                    action = box.withLockedValue { $0.machine.handshakeSucceeded() }
                } catch {
                    box.withLockedValue { $0.current = nil }
                    await hooks.close(connection)
                    action = box.withLockedValue { $0.machine.failed() }
                }
            case .becomeReady:
                guard let connection = box.withLockedValue({ $0.current }) else { return }
                hooks.ready(connection)
                await hooks.closed(connection)
                hooks.retire(connection)
                action = box.withLockedValue { box in
                    box.current = nil
                    return box.machine.connectionLost()
                }
            case .reportLossAndWait(let delay):
                hooks.lost()
                try? await Task.sleep(for: delay)
                action = box.withLockedValue { $0.machine.backoffElapsed() }
            case .reportLossAndReconnect:
                hooks.lost()
                action = .connect
            case .closeConnection:
                if let connection = box.withLockedValue({ box -> Connection? in
                    defer { box.current = nil }
                    return box.current
                }) {
                    await hooks.close(connection)
                }
                return
            case .stop:
                return
            }
        }
    }

    /// Closes the slot: the connection it holds now is closed, and no other is made.
    func shutdown() async {
        let connection = box.withLockedValue { box -> Connection? in
            box.machine.close()
            defer { box.current = nil }
            return box.current
        }
        if let connection { await hooks.close(connection) }
    }
}
