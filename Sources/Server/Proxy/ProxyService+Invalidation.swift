import Cache
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
        guard answer.status == 200, readsOld else {
            if answer.status < 300 || answer.status >= 500 {
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
        switch operation.name {
        case "PutItem":
            if let table = json["TableName"]?.stringValue, let item = Self.item(json["Item"]) {
                var images: [Item]?
                if case .known(let previous) = old { images = [item] + (previous.map { [$0] } ?? []) }
                await invalidate(cache, table: table, items: [(item, images)])
            }
        case "UpdateItem", "DeleteItem":
            if let table = json["TableName"]?.stringValue, let key = Self.item(json["Key"]) {
                var images: [Item]?
                if operation.name == "DeleteItem", case .known(let previous) = old {
                    images = previous.map { [$0] } ?? []
                }
                await invalidate(cache, table: table, items: [(key, images)])
            }
        case "BatchWriteItem":
            for (table, requests) in json["RequestItems"]?.objectValue ?? [:] {
                let list = requests.arrayValue ?? []
                let items =
                    list.compactMap { Self.item($0["PutRequest"]?["Item"]) }
                    + list.compactMap { Self.item($0["DeleteRequest"]?["Key"]) }
                await invalidate(cache, table: table, items: items.map { ($0, nil) })
            }
        case "TransactWriteItems":
            for action in json["TransactItems"]?.arrayValue ?? [] {
                for (kind, member) in [("Put", "Item"), ("Update", "Key"), ("Delete", "Key")] {
                    if let write = action[kind], let table = write["TableName"]?.stringValue,
                        let item = Self.item(write[member])
                    {
                        await invalidate(cache, table: table, items: [(item, nil)])
                    }
                }
            }
        case "CreateTable", "DeleteTable", "UpdateTable":
            // New (perhaps after a deletion elsewhere), gone, or its indexes changed: learn the
            // keys again and drop everything cached under the name.
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

    static func item(_ json: JSONValue?) -> Item? {
        json.flatMap { try? Item.fromJSON($0, parameter: "Item") }
    }

    /// Items (full items or keys) with their images where known; a table whose keys cannot be
    /// learned is dropped whole.
    func invalidate(_ cache: ItemCache, table: String, items: [(Item, [Item]?)]) async {
        guard !items.isEmpty else { return }
        guard let schema = await keySchemas.schema(table) else {
            await cache.invalidateAll(table: table)
            return
        }
        let writes = items.compactMap { item, images in
            schema.key(of: item).map { WrittenItem(key: $0, images: images) }
        }
        await cache.invalidate(table: table, writes: writes, schema: schema)
    }
}

extension String {
    fileprivate func trimmingPrefix(_ character: Character) -> Substring {
        var s = Substring(self)
        while s.first == character || s.first == "\n" || s.first == "\t" { s = s.dropFirst() }
        return s
    }
}
