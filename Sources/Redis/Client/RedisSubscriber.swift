import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Pub/sub on a connection of its own (a subscribed RESP2 connection can run nothing else):
/// subscribes to channels and hands every message to `onMessage`, reconnecting and
/// resubscribing with backoff (RedisReconnector) when the connection drops. The L1 tier of every proxy instance
/// listens here for the invalidations the others publish.
public final class RedisSubscriber: Sendable {
    public let configuration: RedisConfiguration
    let channels: [String]
    let group: any EventLoopGroup
    let onMessage: @Sendable (_ channel: String, _ payload: [UInt8]) -> Void
    /// Told true once every channel is subscribed, false when the connection drops: messages
    /// published in between are lost, which listeners must assume.
    let onSubscriptionChange: @Sendable (_ subscribed: Bool) -> Void
    struct SubscriberState: Sendable {
        var subscribed = false
    }
    let state: NIOLockedValueBox<SubscriberState>
    let reconnector: RedisReconnector<any Channel>

    public init(
        configuration: RedisConfiguration,
        channels: [String],
        group: any EventLoopGroup,
        onSubscriptionChange: @escaping @Sendable (Bool) -> Void = { _ in },
        onMessage: @escaping @Sendable (String, [UInt8]) -> Void
    ) {
        self.onSubscriptionChange = onSubscriptionChange
        self.configuration = configuration
        self.channels = channels
        self.group = group
        self.onMessage = onMessage
        let state = NIOLockedValueBox(SubscriberState())
        self.state = state
        self.reconnector = Self.makeReconnector(
            configuration: configuration, channels: channels, group: group, state: state,
            onSubscriptionChange: onSubscriptionChange, onMessage: onMessage)
    }

    public var isSubscribed: Bool { state.withLockedValue { $0.subscribed } }

    public func start() {
        Task { await reconnector.run() }
    }

    /// The subscriber's connection lifecycle (RedisConnectionStateMachine): connected, then
    /// AUTH and SUBSCRIBE; subscribed once every channel is confirmed; on loss, listeners are
    /// told (messages published meanwhile are lost) and it reconnects.
    static func makeReconnector(
        configuration: RedisConfiguration, channels: [String], group: any EventLoopGroup,
        state: NIOLockedValueBox<SubscriberState>,
        onSubscriptionChange: @escaping @Sendable (Bool) -> Void,
        onMessage: @escaping @Sendable (String, [UInt8]) -> Void
    ) -> RedisReconnector<any Channel> {
        RedisReconnector(
            .init(
                connect: {
                    let confirmed = NIOLockedValueBox(0)
                    let onSubscribed: @Sendable () -> Void = {
                        let all = confirmed.withLockedValue { count in
                            count += 1
                            return count == channels.count
                        }
                        guard all else { return }
                        state.withLockedValue { $0.subscribed = true }
                        onSubscriptionChange(true)
                    }
                    return try await ClientBootstrap(group: group.next())
                        .connectTimeout(.milliseconds(configuration.connectTimeoutMilliseconds))
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    SubscriberHandler(onMessage: onMessage, onSubscribed: onSubscribed))
                            }
                        }
                        .connect(host: configuration.host, port: configuration.port).get()
                },
                handshake: { channel in
                    var buffer = channel.allocator.buffer(capacity: 64)
                    if let password = configuration.password {
                        RESPEncoder.encode([Array("AUTH".utf8), Array(password.utf8)], into: &buffer)
                    }
                    RESPEncoder.encode([Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) }, into: &buffer)
                    try await channel.writeAndFlush(buffer)
                },
                ready: { _ in },
                closed: { channel in try? await channel.closeFuture.get() },
                retire: { _ in },
                lost: {
                    let was = state.withLockedValue { state in
                        defer { state.subscribed = false }
                        return state.subscribed
                    }
                    if was { onSubscriptionChange(false) }
                },
                close: { channel in try? await channel.close() }
            ))
    }

    public func shutdown() async {
        await reconnector.shutdown()
    }
}

/// Decodes a subscribed connection's pushes: `message <channel> <payload>` arrays.
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let reader = HiredisReader()
    let onMessage: @Sendable (String, [UInt8]) -> Void
    let onSubscribed: @Sendable () -> Void

    init(onMessage: @escaping @Sendable (String, [UInt8]) -> Void, onSubscribed: @escaping @Sendable () -> Void) {
        self.onMessage = onMessage
        self.onSubscribed = onSubscribed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { raw throws(RedisClientError) in try reader.feed(raw) }
            while let value = try reader.next() {
                guard let parts = value.array, parts.count == 3, let kind = parts[0].string else { continue }
                if kind == "message", let channel = parts[1].string, let payload = parts[2].bytes {
                    onMessage(channel, payload)
                } else if kind == "subscribe" {
                    onSubscribed()
                }
            }
        } catch {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
