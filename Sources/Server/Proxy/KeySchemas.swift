import Cache
import DynamoModel
import NIOConcurrencyHelpers
import TableStore
import WritePipeline

/// The key attributes of each table and its indexes, learned with DescribeTable the first time
/// a write or a Query needs them (a PutItem's Item carries other attributes too; a Query's
/// partition is found by the key's name) and forgotten on CreateTable, UpdateTable and
/// DeleteTable through the proxy. A table re-created elsewhere with other indexes is noticed
/// within `lifetime`, when the schema is asked again.
final class KeySchemas: Sendable {
    let store: any TableStore
    let known = NIOLockedValueBox<
        [String: (schema: TableKeySchema, keys: KeyAttributes, learnedAt: ContinuousClock.Instant)]
    >([:])
    let lifetime: Duration

    init(store: any TableStore, lifetime: Duration = .seconds(60)) {
        self.store = store
        self.lifetime = lifetime
    }

    func schema(_ table: String) async -> TableKeySchema? { await learn(table)?.schema }

    /// The key attributes with their types: what a write is checked against before batching.
    func keyAttributes(_ table: String) async -> KeyAttributes? { await learn(table)?.keys }

    func learn(_ table: String) async -> (schema: TableKeySchema, keys: KeyAttributes)? {
        let now = ContinuousClock.now
        if let entry = known.withLockedValue({ $0[table] }), now - entry.learnedAt < lifetime {
            return (entry.schema, entry.keys)
        }
        let body = JSONWriter.bytes(.object(["TableName": .string(table)]))
        guard
            let answer = try? await store.send(
                TableStoreRequest(operation: Operation(family: .dynamoDB, name: "DescribeTable"), body: body)
            ),
            answer.status == 200
        else { return nil }
        var buffer = answer.body
        guard let json = try? JSONParser.parse(buffer.readBytes(length: buffer.readableBytes) ?? []),
            let description = json["Table"], let schema = TableKeySchema(describeTable: description),
            let keys = KeyAttributes(describeTable: description)
        else { return nil }
        // A table still being created, or an index still backfilling, is remembered anyway:
        // its key names do not change.
        known.withLockedValue { $0[table] = (schema, keys, now) }
        return (schema, keys)
    }

    /// The schema, asked again when it does not name `index` (created since it was learned).
    func schema(_ table: String, naming index: String?) async -> TableKeySchema? {
        let schema = await schema(table)
        guard let index, let schema, schema.indexes[index] == nil else { return schema }
        forget(table)
        return await self.schema(table)
    }

    func forget(_ table: String) { _ = known.withLockedValue { $0.removeValue(forKey: table) } }
}
