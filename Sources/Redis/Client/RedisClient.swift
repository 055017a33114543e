import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A small pool of pipelined Redis connections, one or more per event loop, each kept up by a
/// `RedisReconnector` (connect, handshake, use, back off). When no connection is up, commands
/// fail at once with `.notConnected`: callers treat Redis as a cache that may be absent, never as
/// a reason to fail a request.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    let group: any EventLoopGroup
    let state: NIOLockedValueBox<State>
    /// Called with the server's run id after every (re)connection.
    public let onConnectHandler: NIOLockedValueBox<@Sendable (String) -> Void>
    /// Called when a connection is lost or cannot be made.
    public let onDisconnectHandler = NIOLockedValueBox<@Sendable () -> Void>({})

    struct State {
        var connections: [RedisConnection?]
        var next = 0
        var runID: String?
        var scriptSHAs: [RedisScript: String] = [:]
        var reconnectors: [RedisReconnector<RedisConnection>] = []
        var reconnects = 0
    }

    /// `onConnect` is called with the server's run id after every (re)connection: a new run id
    /// means Redis restarted or failed over and holds nothing trustworthy from before.
    public init(
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        onConnect: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.group = group
        self.onConnectHandler = NIOLockedValueBox(onConnect)
        self.state = NIOLockedValueBox(State(connections: Array(repeating: nil, count: max(1, configuration.poolSize))))
    }

    /// Starts connecting every slot in the background.
    public func start() {
        for slot in 0..<max(1, configuration.poolSize) {
            let reconnector = makeReconnector(slot: slot, on: group.next())
            state.withLockedValue { $0.reconnectors.append(reconnector) }
            Task { await reconnector.run() }
        }
    }

    /// Waits until at least one connection is up (for tests and startup), or the timeout passes.
    public func waitUntilConnected(timeoutSeconds: Double = 5) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutSeconds * 1000))
        while ContinuousClock.now < deadline {
            if isConnected { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return isConnected
    }

    /// One slot's connection lifecycle (RedisConnectionStateMachine): the handshake reads the
    /// server's run id and tells `onConnect` before the connection joins the pool, so a restarted
    /// Redis is known to be untrusted before any command can reach it.
    func makeReconnector(slot: Int, on loop: any EventLoop) -> RedisReconnector<RedisConnection> {
        let configuration = self.configuration
        return RedisReconnector(
            .init(
                connect: { try await RedisConnection.connect(configuration, on: loop) },
                handshake: { [state, onConnectHandler] connection in
                    let info = try await connection.send(["INFO", "server"])
                    let runID = Self.runID(fromInfo: info.string ?? "")
                    state.withLockedValue { $0.runID = runID }
                    onConnectHandler.withLockedValue { $0 }(runID)
                },
                ready: { [state] connection in
                    state.withLockedValue { state in
                        state.connections[slot] = connection
                        state.reconnects += 1
                    }
                },
                closed: { connection in try? await connection.channel.closeFuture.get() },
                retire: { [state] connection in
                    state.withLockedValue { state in
                        if state.connections[slot] === connection { state.connections[slot] = nil }
                    }
                },
                lost: { [onDisconnectHandler] in onDisconnectHandler.withLockedValue { $0 }() },
                close: { connection in await connection.close() }
            ))
    }

    static func runID(fromInfo info: String) -> String {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("run_id:") {
            return String(line.dropFirst("run_id:".count))
        }
        return ""
    }

    public var isConnected: Bool {
        state.withLockedValue { $0.connections.contains { $0?.isActive == true } }
    }

    /// The run id of the server the pool last connected to.
    public var runID: String? { state.withLockedValue { $0.runID } }

    /// A live connection, preferring one on `eventLoop` so the caller's continuation needs no hop.
    public func connection(preferring eventLoop: (any EventLoop)? = nil) -> RedisConnection? {
        state.withLockedValue { state in
            let live = state.connections.compactMap { $0 }.filter { $0.isActive }
            guard !live.isEmpty else { return nil }
            if let eventLoop, let local = live.first(where: { $0.eventLoop === eventLoop }) { return local }
            state.next &+= 1
            return live[state.next % live.count]
        }
    }

    public func send(_ arguments: [[UInt8]], preferring eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<
        RedisValue
    > {
        guard let connection = connection(preferring: eventLoop) else {
            return (eventLoop ?? group.next()).makeFailedFuture(RedisClientError.notConnected)
        }
        return connection.send(arguments)
    }

    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(arguments.map { Array($0.utf8) }).get()
    }

    public func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        try await send(arguments).get()
    }

    /// Runs a script with EVALSHA, loading it first when Redis does not know it.
    public func eval(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) async throws -> RedisValue {
        for _ in 0..<2 {
            let sha: String
            if let known = state.withLockedValue({ $0.scriptSHAs[script] }) {
                sha = known
            } else {
                let loaded = try await send(["SCRIPT", "LOAD", script.source])
                guard let value = loaded.string, case .bulkString = loaded else {
                    throw RedisClientError.server(loaded.string ?? "SCRIPT LOAD failed")
                }
                sha = value
                state.withLockedValue { $0.scriptSHAs[script] = sha }
            }
            let reply = try await send(
                [Array("EVALSHA".utf8), Array(sha.utf8), Array(String(keys.count).utf8)] + keys + arguments
            ).get()
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                _ = state.withLockedValue { $0.scriptSHAs.removeValue(forKey: script) }
                continue
            }
            return reply
        }
        throw RedisClientError.server("NOSCRIPT after SCRIPT LOAD")
    }

    public func shutdown() async {
        let reconnectors = state.withLockedValue { $0.reconnectors }
        for reconnector in reconnectors { await reconnector.shutdown() }
    }
}
