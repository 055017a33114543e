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

    static let writeOperations: Set<String> = [
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "DeleteTable",
        "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    ]

    /// GetItem through the item cache.
    func cachedGetItem(_ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        let store = self.store
        let (answer, status) = try await cache.getItem(request: json) { consistent in
            var sendBody = body
            if consistent, case .object(var members) = json {
                members["ConsistentRead"] = .bool(true)
                sendBody = JSONWriter.bytes(.object(members))
            }
            let response = try await store.send(TableStoreRequest(operation: operation, body: sendBody))
            var buffer = response.body
            return UpstreamAnswer(
                status: response.status,
                headers: response.headers,
                body: buffer.readBytes(length: buffer.readableBytes) ?? []
            )
        }
        switch status {
        case .hit, .stale, .negative:
            return Self.cachedResponse(answer.body, status: status)
        case .miss, .bypass:
            var response = Self.response(
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

    /// A write: forwarded, then (on success or an unknown outcome) the items it touched are
    /// invalidated before the client hears back.
    func invalidatingWrite(_ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        let answer: TableStoreResponse
        do {
            answer = try await store.send(TableStoreRequest(operation: operation, body: body))
        } catch {
            await invalidate(cache, operation, json)  // outcome unknown: as if it succeeded
            throw error
        }
        if answer.status < 300 || answer.status >= 500 {
            await invalidate(cache, operation, json)
        }
        return Self.response(from: answer)
    }

    func invalidate(_ cache: ItemCache, _ operation: Operation, _ json: JSONValue) async {
        switch operation.name {
        case "PutItem":
            if let table = json["TableName"]?.stringValue, let item = json["Item"] {
                await invalidateItems(cache, table: table, items: [item], isFullItem: true)
            }
        case "UpdateItem", "DeleteItem":
            if let table = json["TableName"]?.stringValue, let key = json["Key"] {
                await invalidateItems(cache, table: table, items: [key], isFullItem: false)
            }
        case "BatchWriteItem":
            for (table, requests) in json["RequestItems"]?.objectValue ?? [:] {
                let list = requests.arrayValue ?? []
                await invalidateItems(
                    cache, table: table, items: list.compactMap { $0["PutRequest"]?["Item"] }, isFullItem: true)
                await invalidateItems(
                    cache, table: table, items: list.compactMap { $0["DeleteRequest"]?["Key"] }, isFullItem: false)
            }
        case "TransactWriteItems":
            for action in json["TransactItems"]?.arrayValue ?? [] {
                if let put = action["Put"], let table = put["TableName"]?.stringValue, let item = put["Item"] {
                    await invalidateItems(cache, table: table, items: [item], isFullItem: true)
                }
                for kind in ["Update", "Delete"] {
                    if let write = action[kind], let table = write["TableName"]?.stringValue, let key = write["Key"] {
                        await invalidateItems(cache, table: table, items: [key], isFullItem: false)
                    }
                }
            }
        case "DeleteTable":
            if let table = json["TableName"]?.stringValue {
                keySchemas.forget(table)
                await cache.invalidateAll(table: table)
            }
        case "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction":
            // PartiQL: which items a statement writes is not worth parsing here; reads are left alone.
            let statements =
                ([json] + (json["Statements"]?.arrayValue ?? []) + (json["TransactStatements"]?.arrayValue ?? []))
                .compactMap { $0["Statement"]?.stringValue }
            if statements.contains(where: { !$0.trimmingPrefix(" ").uppercased().hasPrefix("SELECT") }) {
                await cache.invalidateAll()
            }
        default:
            break
        }
    }

    func invalidateItems(_ cache: ItemCache, table: String, items: [JSONValue], isFullItem: Bool) async {
        guard !items.isEmpty else { return }
        var keys: [Item] = []
        var names: [String]?
        if isFullItem {
            names = await keySchemas.keyNames(table)
            if names == nil {
                await cache.invalidateAll(table: table)
                return
            }
        }
        for json in items {
            guard let item = try? Item.fromJSON(json, parameter: "Key") else { continue }
            if let names {
                var key: Item = [:]
                for name in names { key[name] = item[name] }
                keys.append(key)
            } else {
                keys.append(item)
            }
        }
        await cache.invalidate(table: table, keys: keys)
    }
}

extension String {
    fileprivate func trimmingPrefix(_ character: Character) -> Substring {
        var s = Substring(self)
        while s.first == character || s.first == "\n" || s.first == "\t" { s = s.dropFirst() }
        return s
    }
}
