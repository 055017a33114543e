import Cache
import DynamoModel
import NIOCore
import TableStore
import WritePipeline

extension ProxyService {
    /// A write through the write pipeline: batched when it may be, otherwise sent on its own in
    /// order with the queued writes of its keys; invalidation as the caches define it either way.
    func pipelinedWrite(
        _ pipeline: WritePipeline, _ cache: ItemCache, _ operation: Operation, body: [UInt8], json: JSONValue
    ) async throws -> ProxyHTTPResponse {
        if let table = json["TableName"]?.stringValue, pipeline.policies.settings(for: table).batching,
            operation.name == "PutItem" || operation.name == "DeleteItem",
            let pending = WriteBatchability.decide(
                operation: operation.name, body: body, json: json, keys: await keySchemas.keyAttributes(table))
        {
            let answer = try await pipeline.submit(pending)
            return Self.response(
                from: TableStoreResponse(
                    status: answer.status, headers: answer.headers, body: ByteBuffer(bytes: answer.body))
            )
        }
        // Ordered only among tables that batch: elsewhere nothing is queued to wait for.
        let keys = await writtenKeys(operation, json).filter { pipeline.policies.settings(for: $0.key).batching }
        guard !keys.isEmpty else {
            pipeline.stats.recordPassThrough()
            return try await invalidatingWrite(cache, operation, body: body, json: json)
        }
        return try await pipeline.ordered(keys) {
            try await self.invalidatingWrite(cache, operation, body: body, json: json)
        }
    }

    /// The keys a write touches, per table (for ordering it with queued writes).
    func writtenKeys(_ operation: Operation, _ json: JSONValue) async -> [String: [CanonicalBytes]] {
        var out: [String: [CanonicalBytes]] = [:]
        func add(_ table: String?, _ item: JSONValue?) async {
            guard let table, let item = Self.item(item), let schema = await keySchemas.schema(table),
                let key = schema.key(of: item)
            else { return }
            out[table, default: []].append(CanonicalBytes(key: key))
        }
        switch operation.name {
        case "PutItem":
            await add(json["TableName"]?.stringValue, json["Item"])
        case "UpdateItem", "DeleteItem":
            await add(json["TableName"]?.stringValue, json["Key"])
        case "BatchWriteItem":
            for (table, requests) in json["RequestItems"]?.objectValue ?? [:] {
                for request in requests.arrayValue ?? [] {
                    await add(table, request["PutRequest"]?["Item"] ?? request["DeleteRequest"]?["Key"])
                }
            }
        case "TransactWriteItems":
            for action in json["TransactItems"]?.arrayValue ?? [] {
                for (kind, member) in [
                    ("Put", "Item"), ("Update", "Key"), ("Delete", "Key"), ("ConditionCheck", "Key"),
                ] {
                    if let write = action[kind] { await add(write["TableName"]?.stringValue, write[member]) }
                }
            }
        default:
            break
        }
        return out
    }

    /// What the pipeline calls before answering the clients of a batch: their items invalidated
    /// (old images unknown, so every GSI's query groups of the table go).
    static func invalidateBatched(_ proxy: ProxyService?, _ table: String, _ writes: [PendingWrite]) async {
        guard let proxy, let cache = proxy.cache else { return }
        await proxy.invalidate(cache, table: table, items: writes.map { ($0.newImage ?? $0.key, nil) })
    }
}
