import Cache
import DynamoModel
import NIOCore
import NIOHTTP1
import TableStore

extension ProxyService {
    /// GetItem hits answered on the connection's event loop (one Redis round trip, no task);
    /// everything else, and every hit that turns out not to be one, takes `respond(to:)`.
    public func respond(to request: ProxyHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxyHTTPResponse>
    {
        guard let metrics else { return answer(request, on: eventLoop) }
        let start = NIODeadline.now()
        return answer(request, on: eventLoop).map { response in
            let operation = Self.metricsLabel(request, response)
            let result =
                response.headers.first(name: "x-dynacache-cache")
                ?? (response.status.code >= 400 ? "error" : "uncached")
            metrics.recordRequest(
                operation: operation, result: result, nanoseconds: (NIODeadline.now() - start).nanoseconds)
            return response
        }
    }

    /// The `operation` label of a request's latency: one of the API's operations, or `other` (an
    /// unknown target) or `unauthenticated` (refused before its signature held), so that
    /// whatever clients send, `/metrics` has a bounded number of series.
    static func metricsLabel(_ request: ProxyHTTPRequest, _ response: ProxyHTTPResponse) -> String {
        guard case .known(let operation) = TargetHeader(request.headers.first(name: "x-amz-target")) else {
            return "other"
        }
        if response.status == .badRequest || response.status == .forbidden {
            let text = String(decoding: response.body.readableBytesView.prefix(160), as: UTF8.self)
            if Self.authenticationErrors.contains(where: { text.contains($0) }) { return "unauthenticated" }
        }
        return operation.name
    }

    static let authenticationErrors = [
        "MissingAuthenticationToken", "InvalidSignatureException", "UnrecognizedClientException",
        "IncompleteSignatureException",
    ]

    /// The answer, from the event-loop hit path when it can be.
    func answer(_ request: ProxyHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxyHTTPResponse> {
        let slow = { () -> EventLoopFuture<ProxyHTTPResponse> in
            let promise = eventLoop.makePromise(of: ProxyHTTPResponse.self)
            promise.completeWithTask { await self.respond(to: request) }
            return promise.futureResult
        }
        guard let cache, request.method == .POST,
            request.headers.first(name: "x-amz-target") == "DynamoDB_20120810.GetItem",
            (try? authenticator.check(request)) != nil,
            let json = try? RequestShape.validate(body: request.body, operation: Self.getItem),
            let lookup = cache.freshHit(request: json, on: eventLoop)
        else { return slow() }
        return lookup.flatMap { hit in
            guard let hit else { return slow() }
            return eventLoop.makeSucceededFuture(Self.cachedResponse(hit.body, status: hit.status))
        }
    }

    static let getItem = Operation(family: .dynamoDB, name: "GetItem")

    /// An answer served from Redis: a fresh request id and the CRC that SDKs verify.
    static func cachedResponse(_ body: [UInt8], status: CacheStatus) -> ProxyHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/x-amz-json-1.0")
        headers.add(name: "x-amzn-RequestId", value: RequestID.make())
        headers.add(name: "x-amz-crc32", value: String(CRC32.checksum(body)))
        headers.add(name: "x-dynacache-cache", value: status.rawValue)
        return ProxyHTTPResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// Writes the pipeline batches or keeps in order with batched writes of the same keys.
    static let orderedWrites: Set<String> = [
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
    ]

    static let writeOperations: Set<String> = [
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "DeleteTable",
        "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction", "CreateTable", "UpdateTable",
    ]

    /// GetItem through the item cache.
    func cachedGetItem(_ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        let (answer, status) = try await cache.getItem(request: json) { consistent in
            if let batcher = self.missBatcher,
                case .cacheable(let table, let key, projection: nil) = GetItemCacheability.decide(json)
            {
                return try await batcher.get(table: table, key: key, consistent: consistent)
            }
            return try await self.fetch(operation, body: body, json: json, consistent: consistent)
        }
        watch(json["TableName"], answered: answer.status)
        return Self.cachedOrForwarded(answer, status: status)
    }

    /// Follows the stream of a table the proxy caches, once the table store has answered a read
    /// of it (a name that does not exist starts nothing).
    func watch(_ name: JSONValue?, answered status: Int) {
        guard status == 200, let changeStreams, let name = name?.stringValue else { return }
        changeStreams.watch(TableReference.name(name))
    }

    /// Query and Scan through the cache (a table's key schema names their partition groups).
    func cachedQuery(_ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        var schema: TableKeySchema?
        if let table = json["TableName"]?.stringValue {
            schema = await keySchemas.schema(TableReference.name(table), naming: json["IndexName"]?.stringValue)
        }
        let (answer, status) = try await cache.query(request: json, operation: operation.name, schema: schema) {
            consistent in
            try await self.fetch(operation, body: body, json: json, consistent: consistent)
        }
        watch(json["TableName"], answered: answer.status)
        return Self.cachedOrForwarded(answer, status: status)
    }

    /// One read sent to the table store, with ConsistentRead added when the cache asks for it.
    func fetch(_ operation: Operation, body: [UInt8], json: JSONValue, consistent: Bool) async throws
        -> UpstreamAnswer
    {
        var sendBody = body
        if consistent, case .object(var members) = json {
            members["ConsistentRead"] = .bool(true)
            sendBody = JSONWriter.bytes(.object(members))
        }
        let response = try await store.send(TableStoreRequest(operation: operation, body: sendBody))
        var buffer = response.body
        return UpstreamAnswer(
            status: response.status, headers: response.headers,
            body: buffer.readBytes(length: buffer.readableBytes) ?? []
        )
    }

    /// A cached answer with a fresh request id, or the table store's own answer as it came.
    static func cachedOrForwarded(_ answer: UpstreamAnswer, status: CacheStatus) -> ProxyHTTPResponse {
        switch status {
        case .hit, .stale, .negative:
            return cachedResponse(answer.body, status: status)
        case .miss, .bypass:
            var response = response(
                from: TableStoreResponse(
                    status: answer.status, headers: answer.headers, body: ByteBuffer(bytes: answer.body))
            )
            response.headers.replaceOrAdd(name: "x-dynacache-cache", value: status.rawValue)
            return response
        }
    }

    /// BatchGetItem through the item cache (entries shared with GetItem).
    func cachedBatchGetItem(_ cache: ItemCache, _ operation: Operation, json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        let store = self.store
        let (answer, status) = try await cache.batchGetItem(request: json) { request in
            let response = try await store.send(
                TableStoreRequest(operation: operation, body: JSONWriter.bytes(request)))
            var buffer = response.body
            return UpstreamAnswer(
                status: response.status,
                headers: response.headers,
                body: buffer.readBytes(length: buffer.readableBytes) ?? []
            )
        }
        for table in json["RequestItems"]?.objectValue?.keys.sorted() ?? [] {
            watch(.string(table), answered: answer.status)
        }
        var response: ProxyHTTPResponse
        if answer.headers.contains(where: { $0.name.lowercased() == "x-amzn-requestid" }) {
            // The table store's own answer, passed through.
            response = Self.response(
                from: TableStoreResponse(
                    status: answer.status, headers: answer.headers, body: ByteBuffer(bytes: answer.body))
            )
        } else {
            response = Self.cachedResponse(answer.body, status: status)
        }
        response.headers.replaceOrAdd(name: "x-dynacache-cache", value: status.rawValue)
        return response
    }
}
