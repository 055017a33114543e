import Cache
import ChangeStream
import DynamoModel
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Redis
import SigV4
import TableStore
import WritePipeline

/// The data listener's request logic: read the operation from `X-Amz-Target`, authenticate,
/// check the body's shape, and forward to the table store.
///
/// Later layers (caches, write batching) slot in between the shape check and the forward; this
/// is the place that knows the order of the checks, so each client error is the one DynamoDB
/// would give first.
public final class ProxyService: HTTPResponder {
    let store: any TableStore
    let cache: ItemCache?
    /// Joins concurrent whole-item GetItem misses into BatchGetItems; nil when off.
    let missBatcher: MissBatcher?
    /// Batches and orders writes; nil without a cache (`dynacache store`).
    let writes: WritePipeline?
    /// Follows the streams of the tables the proxy caches; nil without a cache or when off.
    public let changeStreams: ChangeStreamManager?
    let keySchemas: KeySchemas
    let authenticator: ClientAuthenticator
    let forwardOtherRequests: Bool
    let logger: Logger
    /// Request latencies for `/metrics`.
    let metrics: MetricsExporter?

    public init(
        store: any TableStore,
        cache: ItemCache? = nil,
        redis: RedisClient? = nil,
        configuration: ProxyConfiguration,
        logger: Logger,
        metrics: MetricsExporter? = nil,
        now: @escaping @Sendable () -> AmzDate = { AmzDate.now() }
    ) {
        self.store = store
        self.cache = cache
        // The pipeline calls back into this service, which does not exist yet: a weak box.
        let me = NIOLockedValueBox(WeakProxy())
        self.writes =
            cache == nil
            ? nil
            : WritePipeline(
                store: store, policies: configuration.writes, eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                deadlineSeconds: configuration.retry.deadlineSeconds,
                invalidate: { table, writes in
                    await Self.invalidateBatched(me.withLockedValue { $0.proxy }, table, writes)
                }
            )
        self.missBatcher = configuration.missBatchWindowMicroseconds.flatMap { window in
            cache == nil || window <= 0
                ? nil
                : MissBatcher(
                    store: store, window: .microseconds(window), eventLoop: MultiThreadedEventLoopGroup.singleton.next()
                )
        }
        let keySchemas = KeySchemas(store: store)
        self.keySchemas = keySchemas
        if let cache, let redis, configuration.changeStream.enabled {
            self.changeStreams = ChangeStreamManager(
                store: store, cache: cache, redis: redis, settings: configuration.changeStream,
                schema: { await keySchemas.schema($0) })
        } else {
            self.changeStreams = nil
        }
        self.authenticator = ClientAuthenticator(
            mode: configuration.clientAuth, keys: configuration.clientKeys, now: now)
        self.forwardOtherRequests = configuration.effectiveForwardOtherRequests
        self.logger = logger
        self.metrics = metrics
        me.withLockedValue { $0.proxy = self }
    }

    struct WeakProxy: Sendable {
        weak var proxy: ProxyService?
    }

    public func respond(to request: ProxyHTTPRequest) async -> ProxyHTTPResponse {
        let target = TargetHeader(request.headers.first(name: "x-amz-target"))
        do {
            switch target {
            case .foreign:
                return try await forwardForeign(request)
            case .unknown(let name):
                try authenticator.check(request)
                throw DynamoError.unknownOperation(name)
            case .known(let operation):
                guard request.method == .POST else {
                    throw DynamoError.serialization(
                        "DynamoDB operations are sent with POST, not \(request.method.rawValue)")
                }
                try authenticator.check(request)
                let json = try RequestShape.validate(body: request.body, operation: operation)
                return try await route(operation, body: request.body, json: json)
            }
        } catch let error as DynamoError {
            return Self.errorResponse(error)
        } catch let error as TableStoreTransportError {
            logger.warning("upstream call failed", metadata: ["error": "\(error)"])
            return Self.errorResponse(
                error.requestSent
                    ? .internalServerError("The table store did not answer: \(error.message)")
                    : .serviceUnavailable("The table store is unreachable: \(error.message)")
            )
        } catch {
            logger.error("unexpected failure", metadata: ["error": "\(error)"])
            return Self.errorResponse(.internalServerError("Internal proxy error"))
        }
    }

    public func respondTooLarge(limit: Int) -> ProxyHTTPResponse {
        Self.errorResponse(.requestTooLarge(limit: limit))
    }

    /// Cached reads through the cache, writes with invalidation, the rest straight through.
    func route(_ operation: Operation, body: [UInt8], json: JSONValue) async throws -> ProxyHTTPResponse {
        guard let cache, operation.family == .dynamoDB else { return try await forward(operation, body: body) }
        switch operation.name {
        case "GetItem":
            return try await cachedGetItem(cache, operation, body: body, json: json)
        case "BatchGetItem":
            return try await cachedBatchGetItem(cache, operation, json: json)
        case "Query", "Scan":
            return try await cachedQuery(cache, operation, body: body, json: json)
        case let name where Self.writeOperations.contains(name):
            if let writes, Self.orderedWrites.contains(name) {
                return try await pipelinedWrite(writes, cache, operation, body: body, json: json)
            }
            return try await invalidatingWrite(cache, operation, body: body, json: json)
        default:
            return try await forward(operation, body: body)
        }
    }

    func forward(_ operation: Operation, body: [UInt8]) async throws -> ProxyHTTPResponse {
        let answer = try await store.send(TableStoreRequest(operation: operation, body: body))
        return Self.response(from: answer)
    }

    /// A request that names no DynamoDB operation. It goes upstream untouched (never signed by
    /// the proxy) only when the operator allowed it; otherwise the client is told why not.
    func forwardForeign(_ request: ProxyHTTPRequest) async throws -> ProxyHTTPResponse {
        let remote = (store as? RemoteTableStore) ?? ((store as? RetryingTableStore)?.inner as? RemoteTableStore)
        guard forwardOtherRequests, let remote else {
            let what =
                request.headers.first(name: "x-amz-target").map { "X-Amz-Target \($0)" }
                ?? "a request without X-Amz-Target"
            throw DynamoError(
                status: 400,
                type: "com.amazon.coral.service#UnknownOperationException",
                message: "\(what) is not a DynamoDB operation, and this proxy does not forward other requests"
            )
        }
        let answer = try await remote.forwardVerbatim(
            method: request.method,
            uri: request.uri,
            headers: request.headers.map { ($0.name, $0.value) },
            body: request.body
        )
        // An emulator's own endpoints can change or wipe its tables (moto's reset): nothing
        // cached from before can be trusted.
        if request.method != .GET, let cache { await cache.invalidateAll() }
        return Self.response(from: answer)
    }

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer",
    ]

    /// The table store's answer as the client gets it. An answer the proxy assembled itself (a
    /// miss batch's share of a BatchGetItem) has no request id: it gets a fresh one and the CRC
    /// that DynamoDB puts on every answer and SDKs verify. A store's own answer is untouched.
    static func response(from answer: TableStoreResponse) -> ProxyHTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in answer.headers where !hopByHop.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if !headers.contains(name: "x-amzn-requestid"),
            headers.first(name: "content-type") == "application/x-amz-json-1.0"
        {
            headers.add(name: "x-amzn-RequestId", value: RequestID.make())
            if !headers.contains(name: "x-amz-crc32") {
                headers.add(name: "x-amz-crc32", value: String(CRC32.checksum(answer.body.readableBytesView)))
            }
        }
        return ProxyHTTPResponse(
            status: HTTPResponseStatus(statusCode: answer.status), headers: headers, body: answer.body)
    }

    /// An error the proxy answers itself, in DynamoDB's shape with a fresh request id and CRC.
    static func errorResponse(_ error: DynamoError) -> ProxyHTTPResponse {
        let body = error.body
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/x-amz-json-1.0")
        headers.add(name: "x-amzn-RequestId", value: RequestID.make())
        headers.add(name: "x-amz-crc32", value: String(CRC32.checksum(body)))
        return ProxyHTTPResponse(
            status: HTTPResponseStatus(statusCode: error.status), headers: headers, body: ByteBuffer(bytes: body))
    }
}
