import NIOCore
import NIOPosix

/// Where and how to reach Redis.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var password: String?
    public var connectTimeoutMilliseconds: Int64
    public var commandTimeoutMilliseconds: Int64
    public var poolSize: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        connectTimeoutMilliseconds: Int64 = 500,
        commandTimeoutMilliseconds: Int64 = 250,
        poolSize: Int = 2
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
        self.poolSize = poolSize
    }

    /// `redis://[:password@]host[:port]`.
    public init?(url: String) {
        guard url.hasPrefix("redis://") else { return nil }
        var rest = Substring(url.dropFirst(8))
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            password = String(credentials.split(separator: ":", maxSplits: 1).last ?? "")
            rest = rest[rest.index(after: at)...]
        }
        var port = 6379
        var host = String(rest)
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port, password: password)
    }
}

/// One pipelined connection to Redis.
public final class RedisConnection: Sendable {
    public let channel: any Channel
    let commandTimeout: TimeAmount

    init(channel: any Channel, commandTimeout: TimeAmount) {
        self.channel = channel
        self.commandTimeout = commandTimeout
    }

    public var eventLoop: any EventLoop { channel.eventLoop }
    public var isActive: Bool { channel.isActive }

    public static func connect(
        _ configuration: RedisConfiguration,
        on eventLoop: any EventLoop
    ) async throws -> RedisConnection {
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(configuration.connectTimeoutMilliseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisChannelHandler())
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        let connection = RedisConnection(
            channel: channel,
            commandTimeout: .milliseconds(configuration.commandTimeoutMilliseconds)
        )
        if let password = configuration.password {
            let reply = try await connection.send(["AUTH", password])
            if case .error(let message) = reply {
                try? await channel.close()
                throw RedisClientError.server(message)
            }
        }
        return connection
    }

    /// Sends one command; the future completes on this connection's event loop, so callers on
    /// that loop can chain without a hop.
    public func send(_ arguments: [[UInt8]]) -> EventLoopFuture<RedisValue> {
        let promise = channel.eventLoop.makePromise(of: RedisValue.self)
        var buffer = channel.allocator.buffer(capacity: 64)
        RESPEncoder.encode(arguments, into: &buffer)
        let channel = self.channel
        let timeout = channel.eventLoop.scheduleTask(in: commandTimeout) {
            // Replies would no longer line up with commands: drop the connection.
            promise.fail(RedisClientError.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        channel.writeAndFlush(RedisRequest(bytes: buffer, promise: promise)).whenFailure { _ in
            promise.fail(RedisClientError.connectionClosed)
        }
        return promise.futureResult
    }

    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(arguments.map { Array($0.utf8) }).get()
    }

    public func close() async {
        try? await channel.close()
    }
}
