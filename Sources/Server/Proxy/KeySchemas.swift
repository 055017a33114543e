import DynamoModel
import NIOConcurrencyHelpers
import TableStore

/// The key attribute names of each table, learned with DescribeTable the first time a write
/// needs them (a PutItem's Item carries other attributes too) and forgotten on DeleteTable.
final class KeySchemas: Sendable {
    let store: any TableStore
    let known = NIOLockedValueBox<[String: [String]]>([:])

    init(store: any TableStore) { self.store = store }

    func keyNames(_ table: String) async -> [String]? {
        if let names = known.withLockedValue({ $0[table] }) { return names }
        let body = JSONWriter.bytes(.object(["TableName": .string(table)]))
        guard
            let answer = try? await store.send(
                TableStoreRequest(operation: Operation(family: .dynamoDB, name: "DescribeTable"), body: body)
            ),
            answer.status == 200
        else { return nil }
        var buffer = answer.body
        guard let json = try? JSONParser.parse(buffer.readBytes(length: buffer.readableBytes) ?? []),
            let schema = json["Table"]?["KeySchema"]?.arrayValue
        else { return nil }
        let names = schema.compactMap { $0["AttributeName"]?.stringValue }
        known.withLockedValue { $0[table] = names }
        return names
    }

    func forget(_ table: String) { _ = known.withLockedValue { $0.removeValue(forKey: table) } }
}
