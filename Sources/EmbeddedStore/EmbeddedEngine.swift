import DynamoExpressions
import DynamoModel
import Foundation

/// DynamoDB's semantics over one SQLite database: the synchronous core of the embedded store.
///
/// Not thread-safe: `EmbeddedTableStore` runs every call on one thread. Items live in one
/// `WITHOUT ROWID` table keyed by (table, hash key bytes, range key bytes); key bytes are
/// `CanonicalBytes.sortable`, so SQLite's `memcmp` order is DynamoDB's sort-key order.
final class EmbeddedEngine {
    let db: SQLiteDatabase
    var tables: [String: TableDefinition] = [:]
    let now: () -> Double
    /// Tables with local secondary indexes cap each partition key's items at this size.
    var itemCollectionLimitBytes = 10 * 1024 * 1024 * 1024
    var streamSettings = StreamSettings()
    var lastStreamTrimMilliseconds: Int64 = 0
    /// Eventually consistent reads see the table this long ago (0: off; see ReplicaLag).
    var replicaLagMilliseconds: Int64 = 0
    /// Provisioned-capacity buckets by budget, and how many seconds of unused capacity they keep.
    var capacityBuckets: [String: TokenBucket] = [:]
    var capacityBurstSeconds: Double = 300
    var eventIDs = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))

    init(path: String, now: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.db = try SQLiteDatabase(path: path)
        self.now = now
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS dc_tables (name TEXT PRIMARY KEY, definition BLOB NOT NULL);
            \(Self.itemTables(items: "dc_items", indexItems: "dc_index_items"))
            CREATE TABLE IF NOT EXISTS dc_tx_tokens (token TEXT PRIMARY KEY, digest BLOB NOT NULL, at INTEGER NOT NULL);
            """
        )
        try db.execute(Self.streamSchema)
        try db.execute(Self.ttlSchema)
        try db.execute(Self.replicaSchema)
        let select = try db.statement("SELECT definition FROM dc_tables")
        while try select.step() {
            if let json = try? JSONParser.parse(select.blob(0)), let table = TableDefinition(json: json) {
                tables[table.name] = table
            }
        }
    }

    /// Items and their secondary-index entries (the table itself, or the lagging replica's copy).
    static func itemTables(items: String, indexItems: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(items) (
            tbl TEXT NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL, item BLOB NOT NULL, size INTEGER NOT NULL,
            PRIMARY KEY (tbl, hk, rk)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS \(indexItems) (
            tbl TEXT NOT NULL, idx TEXT NOT NULL, ihk BLOB NOT NULL, irk BLOB NOT NULL,
            bhk BLOB NOT NULL, brk BLOB NOT NULL, item BLOB NOT NULL, size INTEGER NOT NULL,
            PRIMARY KEY (tbl, idx, ihk, irk, bhk, brk)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS \(indexItems)_base ON \(indexItems) (tbl, bhk, brk);
        """
    }

    /// An answer: a status and a JSON body (the result, or an error in DynamoDB's shape).
    struct Response {
        var status: Int
        var body: JSONValue
    }

    /// Runs one operation. Every failure becomes DynamoDB's error shape; nothing escapes.
    func handle(_ operation: String, _ request: JSONValue, streams: Bool = false) -> Response {
        do {
            return Response(
                status: 200, body: try streams ? dispatchStreams(operation, request) : dispatch(operation, request))
        } catch let error as DynamoError {
            return Self.errorResponse(error)
        } catch let error as ExpressionError {
            return Self.errorResponse(error.dynamoError)
        } catch let failure as DetailedFailure {
            return Response(status: failure.status, body: failure.body)
        } catch let failed as ConditionalCheckFailed {
            let (error, body) = failed.response
            return Response(status: error.status, body: body)
        } catch {
            return Self.errorResponse(.internalServerError("Embedded store failure: \(error)"))
        }
    }

    static func errorResponse(_ error: DynamoError) -> Response {
        Response(
            status: error.status, body: .object(["__type": .string(error.type), "message": .string(error.message)]))
    }

    func dispatch(_ operation: String, _ request: JSONValue) throws -> JSONValue {
        switch operation {
        case "CreateTable": return try createTable(request)
        case "DescribeTable": return try describeTable(request)
        case "ListTables": return try listTables(request)
        case "DeleteTable": return try deleteTable(request)
        case "UpdateTable": return try updateTable(request)
        case "PutItem": return try putItem(request)
        case "GetItem": return try getItem(request)
        case "UpdateItem": return try updateItem(request)
        case "DeleteItem": return try deleteItem(request)
        case "Query": return try query(request)
        case "Scan": return try scan(request)
        case "BatchGetItem": return try batchGetItem(request)
        case "BatchWriteItem": return try batchWriteItem(request)
        case "TransactWriteItems": return try transactWriteItems(request)
        case "TransactGetItems": return try transactGetItems(request)
        case "UpdateTimeToLive": return try updateTimeToLive(request)
        case "DescribeTimeToLive": return try describeTimeToLive(request)
        default:
            throw DynamoError.validation("The embedded table store does not support \(operation) yet")
        }
    }

    // MARK: Request parameters

    static func required(_ request: JSONValue, _ name: String, path: String) throws(DynamoError) -> JSONValue {
        guard let value = request[name], value != .null else {
            throw DynamoError.validation(
                "1 validation error detected: Value null at '\(path)' failed to satisfy constraint: Member must not be null"
            )
        }
        return value
    }

    static func string(_ request: JSONValue, _ name: String) throws(DynamoError) -> String? {
        guard let value = request[name], value != .null else { return nil }
        guard case .string(let s) = value else { throw DynamoError.serialization("\(name) must be a string") }
        return s
    }

    static func refuseLegacy(_ request: JSONValue, _ names: [String]) throws(DynamoError) {
        for name in names where request[name] != nil && request[name] != .null {
            throw DynamoError.validation(
                "The embedded table store does not support the legacy parameter \(name); use expressions")
        }
    }

    static func tableName(_ request: JSONValue) throws(DynamoError) -> String {
        guard case .string(let name) = try required(request, "TableName", path: "tableName") else {
            throw DynamoError.serialization("TableName must be a string")
        }
        return name
    }

    /// `RequestItems` of BatchGetItem and BatchWriteItem: a non-empty map keyed by table name.
    static func requestItems(_ request: JSONValue) throws(DynamoError) -> [String: JSONValue] {
        guard case .object(let items) = try required(request, "RequestItems", path: "requestItems") else {
            throw DynamoError.serialization("RequestItems must be a map")
        }
        guard !items.isEmpty else {
            throw DynamoError.validation(
                "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        }
        return items
    }

    func table(_ request: JSONValue) throws(DynamoError) -> TableDefinition {
        try table(named: try Self.tableName(request))
    }

    /// A table by its name or its ARN (DynamoDB accepts either wherever an existing table is named).
    func table(named name: String) throws(DynamoError) -> TableDefinition {
        guard let table = tables[TableReference.name(name)] else {
            throw DynamoError.resourceNotFound("Requested resource not found")
        }
        return table
    }

    // MARK: Keys

    /// The key of `item` (exactly the key attributes, for a Key parameter; at least them, for
    /// an item), as stored bytes.
    func keyBytes(
        _ table: TableDefinition,
        _ item: Item,
        exact: Bool
    ) throws(DynamoError) -> (hash: [UInt8], range: [UInt8]) {
        if exact && item.count != table.keyNames.count {
            throw DynamoError.validation("The provided key element does not match the schema")
        }
        func bytes(_ key: KeyAttribute) throws(DynamoError) -> [UInt8] {
            guard let value = item[key.name] else {
                if exact { throw DynamoError.validation("The provided key element does not match the schema") }
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Missing the key \(key.name) in the item")
            }
            guard value.typeDescriptor == key.type, let bytes = CanonicalBytes.sortable(value) else {
                if exact { throw DynamoError.validation("The provided key element does not match the schema") }
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Type mismatch for key \(key.name) expected: \(key.type) actual: \(value.typeDescriptor)"
                )
            }
            if case .s(let s) = value, s.isEmpty {
                throw DynamoError.validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: \(key.name)"
                )
            }
            if case .b(let b) = value, b.isEmpty {
                throw DynamoError.validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: \(key.name)"
                )
            }
            return bytes
        }
        let hash = try bytes(table.hashKey)
        let range = try table.rangeKey.map { (k) throws(DynamoError) in try bytes(k) } ?? []
        return (hash, range)
    }

    static func key(of item: Item, _ table: TableDefinition) -> Item {
        var key: Item = [:]
        for name in table.keyNames { key[name] = item[name] }
        return key
    }

    // MARK: Rows

    /// The item as stored; an eventually consistent read (`consistent: false`) may see the
    /// lagging replica instead.
    func loadItem(_ table: TableDefinition, hash: [UInt8], range: [UInt8], consistent: Bool = true) throws -> Item? {
        let source = try readSource(consistent: consistent)
        let select = try db.statement("SELECT item FROM \(source.items) WHERE tbl = ? AND hk = ? AND rk = ?")
        select.bind(1, table.name)
        select.bind(2, hash)
        select.bind(3, range)
        guard try select.step() else { return nil }
        return try Self.decodeItem(select.blob(0))
    }

    static func decodeItem(_ bytes: [UInt8]) throws -> Item {
        try Item.fromJSON(try JSONParser.parse(bytes), parameter: "stored item")
    }

    /// Writes an item; `old` is the item it replaces when the caller has read it (nil: read
    /// here, if the table's stream needs it).
    func storeItem(_ table: TableDefinition, _ item: Item, hash: [UInt8], range: [UInt8], old: Item?? = nil) throws {
        try checkItemCollection(table, item, hash: hash, range: range)
        if table.stream?.enabled == true {
            try recordChange(table, old: try old ?? loadItem(table, hash: hash, range: range), new: item)
        }
        let insert = try db.statement(
            "INSERT OR REPLACE INTO dc_items (tbl, hk, rk, item, size) VALUES (?, ?, ?, ?, ?)"
        )
        insert.bind(1, table.name)
        insert.bind(2, hash)
        insert.bind(3, range)
        insert.bind(4, JSONWriter.bytes(item.json))
        insert.bind(5, Int64(ItemSize.of(item)))
        try insert.run()
        try reindex(table, item, hash: hash, range: range)
        try indexExpiry(table, item, hash: hash, range: range)
        try logForReplica(table, item, hash: hash, range: range)
    }

    /// Keeps every secondary index in step with one base item: its old entries go, and the new
    /// item is entered in each index whose key attributes it has (sparse indexes).
    func reindex(
        _ table: TableDefinition, _ item: Item?, hash: [UInt8], range: [UInt8], into entries: String = "dc_index_items"
    ) throws {
        guard !table.indexes.isEmpty else { return }
        let delete = try db.statement("DELETE FROM \(entries) WHERE tbl = ? AND bhk = ? AND brk = ?")
        delete.bind(1, table.name)
        delete.bind(2, hash)
        delete.bind(3, range)
        try delete.run()
        guard let item else { return }
        for index in table.indexes {
            guard let ihk = Self.indexKeyBytes(item, index.hashKey) else { continue }
            var irk: [UInt8] = []
            if let rangeKey = index.rangeKey {
                guard let bytes = Self.indexKeyBytes(item, rangeKey) else { continue }
                irk = bytes
            }
            let projected = index.project(item, baseKeys: table.keyNames)
            let insert = try db.statement(
                "INSERT OR REPLACE INTO \(entries) (tbl, idx, ihk, irk, bhk, brk, item, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            )
            insert.bind(1, table.name)
            insert.bind(2, index.name)
            insert.bind(3, ihk)
            insert.bind(4, irk)
            insert.bind(5, hash)
            insert.bind(6, range)
            insert.bind(7, JSONWriter.bytes(projected.json))
            insert.bind(8, Int64(ItemSize.of(projected)))
            try insert.run()
        }
    }

    /// With local secondary indexes, one partition key's items (the new one counted with its LSI
    /// entries) may not grow past the item-collection limit: ItemCollectionSizeLimitExceededException.
    func checkItemCollection(_ table: TableDefinition, _ item: Item, hash: [UInt8], range: [UInt8]) throws {
        guard table.indexes.contains(where: { $0.kind == .local }) else { return }
        let select = try db.statement(
            "SELECT COALESCE(SUM(size), 0) FROM dc_items WHERE tbl = ? AND hk = ? AND rk <> ?"
        )
        select.bind(1, table.name)
        select.bind(2, hash)
        select.bind(3, range)
        _ = try select.step()
        let others = Int(select.int64(0))
        let localIndexes = table.indexes.filter { $0.kind == .local }
        let entries = localIndexes.reduce(0) { $0 + ItemSize.of($1.project(item, baseKeys: table.keyNames)) }
        if others + ItemSize.of(item) + entries > itemCollectionLimitBytes {
            throw DynamoError(
                status: 400,
                type: "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException",
                message: "Item collection size limit exceeded"
            )
        }
    }

    /// An index key attribute's sortable bytes, when the item has it with the declared type.
    static func indexKeyBytes(_ item: Item, _ key: KeyAttribute) -> [UInt8]? {
        guard let value = item[key.name], value.typeDescriptor == key.type else { return nil }
        return CanonicalBytes.sortable(value)
    }

    func removeItem(
        _ table: TableDefinition, hash: [UInt8], range: [UInt8], old: Item?? = nil, identity: JSONValue? = nil
    ) throws {
        if table.stream?.enabled == true {
            try recordChange(
                table, old: try old ?? loadItem(table, hash: hash, range: range), new: nil, identity: identity)
        }
        let delete = try db.statement("DELETE FROM dc_items WHERE tbl = ? AND hk = ? AND rk = ?")
        delete.bind(1, table.name)
        delete.bind(2, hash)
        delete.bind(3, range)
        try delete.run()
        try reindex(table, nil, hash: hash, range: range)
        try indexExpiry(table, nil, hash: hash, range: range)
        try logForReplica(table, nil, hash: hash, range: range)
    }

    /// Checks an item about to be written: size limit and empty sets are DynamoDB's rules
    /// (empty strings and binaries are allowed outside keys).
    static func checkWritable(_ item: Item) throws(DynamoError) {
        if ItemSize.of(item) > ItemSize.maximumItemBytes {
            throw DynamoError.validation("Item size has exceeded the maximum allowed size")
        }
    }
}
