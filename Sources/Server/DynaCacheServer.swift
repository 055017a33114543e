import Cache
import DynamoModel
import EmbeddedStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Redis
import SigV4
import TableStore

/// Runs the proxy: the data listener (DynamoDB API) and the admin listener, over one
/// event-loop group that the upstream HTTP client shares.
public final class DynaCacheServer: Sendable {
    public let configuration: ProxyConfiguration
    let group: MultiThreadedEventLoopGroup
    let store: RetryingTableStore
    let redis: RedisClient?
    let cache: ItemCache?
    /// Carries other proxies' invalidations to the L1 tier.
    let subscriber: RedisSubscriber?
    let logger: Logger
    let channels: NIOLockedValueBox<[any Channel]> = NIOLockedValueBox([])
    let proxyService = NIOLockedValueBox<ProxyService?>(nil)

    public init(configuration: ProxyConfiguration, logger: Logger, environment: [String: String]) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        // The process-wide group, which `main` may also have made Swift Concurrency's executor.
        self.group = MultiThreadedEventLoopGroup.singleton
        // Every caller reaches the table store through the retry policy.
        let base = try Self.makeStore(configuration: configuration, group: group, environment: environment)
        self.store = RetryingTableStore(wrapping: base, policy: configuration.retry)
        guard let redisConfiguration = RedisConfiguration(url: configuration.redisURL) else {
            throw ConfigurationError("redis: expected redis://[:password@]HOST[:PORT], got \(configuration.redisURL)")
        }
        let redis = configuration.cacheEnabled ? RedisClient(configuration: redisConfiguration, group: group) : nil
        self.redis = redis
        let identity: String
        if let remote = base as? RemoteTableStore {
            identity = CacheNamespace.make(
                endpoint: remote.configuration.endpoint.description,
                region: remote.configuration.region,
                accessKeyID: remote.configuration.credentials.accessKeyId
            )
        } else {
            identity = CacheNamespace.make(
                endpoint: "embedded:\(configuration.dataDirectory)", region: "", accessKeyID: "")
        }
        let l1 = configuration.l1.map { L1Tier(configuration: $0, usable: false) }
        let cache = redis.map { ItemCache(redis: $0, namespace: identity, policies: configuration.cache, l1: l1) }
        self.cache = cache
        if let l1, let cache {
            // `dc:inv` reaches every namespace: `PUBLISH dc:inv '*'` empties every proxy's L1.
            self.subscriber = RedisSubscriber(
                configuration: redisConfiguration, channels: [cache.invalidationChannel, "dc:inv"], group: group,
                onSubscriptionChange: { l1.subscriptionChanged(subscribed: $0) },
                onMessage: { _, payload in l1.receive(payload) }
            )
        } else {
            self.subscriber = nil
        }
    }

    public static func makeStore(
        configuration: ProxyConfiguration,
        group: MultiThreadedEventLoopGroup,
        environment: [String: String]
    ) throws -> any TableStore {
        switch configuration.upstream {
        case nil:
            throw ConfigurationError("no upstream: pass --upstream URL (a DynamoDB-compatible endpoint)")
        case .embedded:
            do {
                return try EmbeddedTableStore(directory: configuration.dataDirectory, settings: configuration.embedded)
            } catch {
                throw ConfigurationError(
                    "cannot open the embedded table store in \(configuration.dataDirectory): \(error)")
            }
        case .url(let url):
            guard let endpoint = Endpoint(url) else { throw ConfigurationError("upstream: not an http(s) URL: \(url)") }
            let streams = try configuration.streamsUpstream.map { text in
                guard let e = Endpoint(text) else {
                    throw ConfigurationError("streamsUpstream: not an http(s) URL: \(text)")
                }
                return e
            }
            let region =
                configuration.region ?? endpoint.awsRegion ?? environment["AWS_REGION"]
                ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
            let credentials: Credentials
            if let configured = configuration.upstreamCredentials ?? Credentials.fromEnvironment(environment) {
                credentials = configured
            } else if endpoint.awsRegion == nil {
                // Emulators accept any key; real DynamoDB needs real ones.
                credentials = Credentials(accessKeyId: "dynacache", secretAccessKey: "dynacache")
            } else {
                throw ConfigurationError(
                    "upstream \(url) is AWS: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or upstreamCredentials in the config"
                )
            }
            let remote = RemoteTableStore.Configuration(
                endpoint: endpoint,
                streamsEndpoint: streams,
                region: region,
                credentials: credentials,
                connectTimeoutMilliseconds: configuration.upstreamConnectTimeoutMilliseconds,
                requestTimeoutMilliseconds: configuration.upstreamTimeoutMilliseconds
            )
            return RemoteTableStore(configuration: remote, eventLoopGroup: group, now: { AmzDate.now() })
        }
    }

    var upstreamDescription: String {
        switch configuration.upstream {
        case .url(let url): url
        case .embedded: "embedded"
        case nil: "none"
        }
    }

    /// Binds both listeners; returns once they accept connections.
    public func start() async throws {
        let cache = self.cache
        let logger = self.logger
        // Log Redis going away and coming back once per change, not once per request.
        let connected = NIOLockedValueBox<Bool?>(nil)
        redis?.onConnectHandler.withLockedValue {
            $0 = { runID in
                cache?.redisConnected(runID: runID)
                if connected.withLockedValue({ state in
                    defer { state = true }
                    return state != true
                }) {
                    logger.info("redis connected", metadata: ["runID": "\(runID)"])
                }
            }
        }
        redis?.onDisconnectHandler.withLockedValue {
            $0 = {
                if connected.withLockedValue({ state in
                    defer { state = false }
                    return state != false
                }) {
                    logger.warning("redis unavailable: answering from the table store until it is back")
                }
            }
        }
        redis?.start()
        subscriber?.start()
        let metrics = MetricsExporter()
        let proxy = ProxyService(
            store: store, cache: cache, redis: redis, configuration: configuration, logger: logger, metrics: metrics)
        proxyService.withLockedValue { $0 = proxy }
        proxy.changeStreams?.start()
        let store = self.store
        let prices = (read: configuration.readRequestUnitPrice, write: configuration.writeRequestUnitPrice)
        let admin = AdminService(
            upstreamDescription: upstreamDescription,
            token: configuration.adminToken,
            metrics: metrics,
            stats: {
                var stats = cache?.stats.json(redisConnected: cache?.redisConnected ?? false).objectValue ?? [:]
                stats["retries"] = store.statsJSON()
                if let l1 = cache?.l1 { stats["l1"] = l1.statsJSON }
                if let batcher = proxy.missBatcher { stats["missBatching"] = batcher.statsJSON }
                if let writes = proxy.writes { stats["writes"] = writes.stats.json }
                if let streams = proxy.changeStreams { stats["stream"] = streams.stats.json }
                if let cache {
                    stats["hotKeys"] = cache.stats.hotKeysJSON()
                    stats["cost"] = Self.cost(
                        read: cache.stats.readUnitsSaved(), coalesced: proxy.writes?.stats.coalescedWrites ?? 0,
                        prices: prices)
                }
                return .object(stats)
            }
        )
        let data = try await bind(
            configuration.listen,
            responder: proxy,
            maximumBodyBytes: configuration.maximumRequestBytes
        )
        var bound = [data]
        if configuration.adminEnabled {
            bound.append(try await bind(configuration.adminListen, responder: admin, maximumBodyBytes: 64 * 1024))
        }
        channels.withLockedValue { $0 = bound }
        logger.info(
            "dynacache listening",
            metadata: [
                "data": "\(data.localAddress.map { "\($0)" } ?? "?")",
                "admin": "\(bound.count > 1 ? bound[1].localAddress.map { "\($0)" } ?? "?" : "off")",
                "upstream": "\(upstreamDescription)",
                "auth": "\(configuration.clientAuth.rawValue)",
            ]
        )
    }

    /// What the cache saved at on-demand prices: read units it answered, write units coalescing
    /// folded away (one unit each, at least).
    static func cost(read: [String: Double], coalesced: Int, prices: (read: Double, write: Double)) -> JSONValue {
        var tables: [String: JSONValue] = [:]
        var dollars = 0.0
        for (table, units) in read {
            let saved = units * prices.read / 1_000_000
            dollars += saved
            tables[table] = .object([
                "readUnitsSaved": .number(String(units)), "dollarsSaved": .number(String(format: "%.6f", saved)),
            ])
        }
        dollars += Double(coalesced) * prices.write / 1_000_000
        return .object([
            "readUnitsSaved": .number(String(read.values.reduce(0, +))),
            "writeUnitsSaved": .number(String(coalesced)),
            "dollarsSaved": .number(String(format: "%.6f", dollars)),
            "pricePerMillion": .object([
                "read": .number(String(prices.read)), "write": .number(String(prices.write)),
                "asOf": .string("2024-11-01, us-east-1 on-demand, standard table class"),
            ]),
            "tables": .object(tables),
        ])
    }

    /// The ports actually bound (useful when the configuration asked for port 0).
    public var boundPorts: (data: Int?, admin: Int?) {
        let channels = channels.withLockedValue { $0 }
        return (channels.first?.localAddress?.port, channels.count > 1 ? channels[1].localAddress?.port : nil)
    }

    func bind(_ address: HostPort, responder: any HTTPResponder, maximumBodyBytes: Int) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withErrorHandling: true
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPFrontHandler(responder: responder, maximumBodyBytes: maximumBodyBytes)
                    )
                }
            }
        do {
            return try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw ConfigurationError("cannot listen on \(address): \(error)")
        }
    }

    /// Runs until the listeners close.
    public func waitUntilClosed() async throws {
        for channel in channels.withLockedValue({ $0 }) {
            try await channel.closeFuture.get()
        }
    }

    public func shutdown() async {
        for channel in channels.withLockedValue({ $0 }) {
            try? await channel.close()
        }
        await proxyService.withLockedValue { $0 }?.changeStreams?.shutdown()
        await subscriber?.shutdown()
        await redis?.shutdown()
        try? await store.shutdown()
    }
}
