import Cache
import DynamoExpressions
import DynamoModel
import NIOCore
import TableStore

extension ProxyService {
    /// What the proxy learned of a written item's previous image.
    enum OldImage {
        case unknown
        /// Known: the item before the write, or nil when there was none.
        case known(Item?)
    }

    /// A write: forwarded, then (on success or an unknown outcome) everything it can have made
    /// stale is invalidated before the client hears back.
    ///
    /// A PutItem or DeleteItem on a table with GSIs, whose client asked for no ReturnValues, is
    /// sent with `ReturnValues: ALL_OLD` so the old image names the index partitions to drop; the
    /// client gets the answer it asked for, without `Attributes`.
    func invalidatingWrite(_ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue) async throws
        -> ProxyHTTPResponse
    {
        var sendBody = body
        var askedForOld = false
        var readsOld = false
        if operation.name == "PutItem" || operation.name == "DeleteItem", case .object(var members) = json,
            let table = members["TableName"]?.stringValue, let schema = await keySchemas.schema(table),
            schema.hasGlobalIndexes
        {
            switch members["ReturnValues"]?.stringValue ?? "NONE" {
            case "NONE":
                members["ReturnValues"] = .string("ALL_OLD")
                sendBody = JSONWriter.bytes(.object(members))
                askedForOld = true
                readsOld = true
            case "ALL_OLD":
                readsOld = true
            default:
                break
            }
        }
        let answer: TableStoreResponse
        do {
            answer = try await store.send(TableStoreRequest(operation: operation, body: sendBody))
        } catch {
            await invalidate(cache, operation, json, old: .unknown)  // outcome unknown: as if it succeeded
            throw error
        }
        guard answer.status == 200, readsOld, !answer.outcomeUnknown else {
            if answer.status < 300 || answer.status >= 500 || answer.outcomeUnknown {
                await invalidate(cache, operation, json, old: .unknown)
            }
            return Self.response(from: answer)
        }
        var buffer = answer.body
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard case .object(var members)? = try? JSONParser.parse(bytes) else {
            await invalidate(cache, operation, json, old: .unknown)
            return Self.response(from: answer)
        }
        let old = members["Attributes"].flatMap { try? Item.fromJSON($0, parameter: "Attributes") }
        await invalidate(cache, operation, json, old: .known(old))
        guard askedForOld else { return Self.response(from: answer) }
        members["Attributes"] = nil
        return Self.rewritten(answer, body: JSONWriter.bytes(.object(members)))
    }

    /// The table store's answer with another body (and the CRC that SDKs check for it).
    static func rewritten(_ answer: TableStoreResponse, body: [UInt8]) -> ProxyHTTPResponse {
        var response = response(from: answer)
        response.body = ByteBuffer(bytes: body)
        response.headers.replaceOrAdd(name: "x-amz-crc32", value: String(CRC32.checksum(body)))
        return response
    }

    func invalidate(_ cache: ItemCache, _ operation: Operation, _ json: JSONValue, old: OldImage) async {
        let tableName = json["TableName"]?.stringValue.map(TableReference.name)
        switch operation.name {
        case "PutItem":
            if let table = tableName, let item = Self.item(json["Item"]) {
                var images: [Item]?
                if case .known(let previous) = old { images = [item] + (previous.map { [$0] } ?? []) }
                await invalidate(cache, table: table, items: [(item, images)])
            }
        case "UpdateItem", "DeleteItem":
            if let table = tableName, let key = Self.item(json["Key"]) {
                var images: [Item]?
                if operation.name == "DeleteItem", case .known(let previous) = old {
                    images = previous.map { [$0] } ?? []
                }
                await invalidate(cache, table: table, items: [(key, images)])
            }
        case "BatchWriteItem":
            for (name, requests) in json["RequestItems"]?.objectValue ?? [:] {
                let list = requests.arrayValue ?? []
                let items =
                    list.compactMap { Self.item($0["PutRequest"]?["Item"]) }
                    + list.compactMap { Self.item($0["DeleteRequest"]?["Key"]) }
                await invalidate(cache, table: TableReference.name(name), items: items.map { ($0, nil) })
            }
        case "TransactWriteItems":
            for action in json["TransactItems"]?.arrayValue ?? [] {
                for (kind, member) in [("Put", "Item"), ("Update", "Key"), ("Delete", "Key")] {
                    if let write = action[kind], let table = write["TableName"]?.stringValue,
                        let item = Self.item(write[member])
                    {
                        await invalidate(cache, table: TableReference.name(table), items: [(item, nil)])
                    }
                }
            }
        case "CreateTable", "DeleteTable", "UpdateTable":
            // New (perhaps after a deletion elsewhere), gone, or its indexes changed: learn the
            // keys again and retire everything cached under the name.
            if let table = tableName {
                keySchemas.forget(table)
                await cache.invalidateTable(table)
            }
        case "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction":
            let statements =
                [json] + (json["Statements"]?.arrayValue ?? []) + (json["TransactStatements"]?.arrayValue ?? [])
            for statement in statements {
                guard let text = statement["Statement"]?.stringValue else { continue }
                let parameters = (statement["Parameters"]?.arrayValue ?? []).compactMap {
                    try? AttributeValue(json: $0)
                }
                await invalidate(cache, PartiQLWrite(statement: text, parameters: parameters))
            }
        default:
            break
        }
    }

    /// A PartiQL write: its item where the statement pins its key, else its whole table; a
    /// statement whose table cannot be read, every table of the namespace.
    func invalidate(_ cache: ItemCache, _ write: PartiQLWrite) async {
        guard write.writes else { return }
        guard let table = write.table else {
            await cache.invalidateAll()
            return
        }
        guard let attributes = write.attributes, let schema = await keySchemas.schema(table),
            let key = schema.key(of: attributes)
        else {
            await cache.invalidateTable(table)
            return
        }
        await cache.invalidate(table: table, writes: [WrittenItem(key: key, images: nil)], schema: schema)
    }

    static func item(_ json: JSONValue?) -> Item? {
        json.flatMap { try? Item.fromJSON($0, parameter: "Item") }
    }

    /// Items (full items or keys) with their images where known. A table whose keys cannot be
    /// learned, or whose cached schema cannot read one of the items (re-created elsewhere with
    /// other keys), is retired whole: a write is never left out of invalidation.
    func invalidate(_ cache: ItemCache, table: String, items: [(Item, [Item]?)]) async {
        guard !items.isEmpty else { return }
        guard let schema = await keySchemas.schema(table) else {
            await cache.invalidateTable(table)
            return
        }
        var writes: [WrittenItem] = []
        for (item, images) in items {
            guard let key = schema.key(of: item) else {
                keySchemas.forget(table)
                await cache.invalidateTable(table)
                return
            }
            writes.append(WrittenItem(key: key, images: images))
        }
        await cache.invalidate(table: table, writes: writes, schema: schema)
    }
}
