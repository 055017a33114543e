import DynamoExpressions
import DynamoModel

extension EmbeddedEngine {
    static let batchGetLimit = 100
    static let batchWriteLimit = 25
    /// BatchGetItem answers at most 16 MB; keys past that come back as UnprocessedKeys.
    static let batchGetResponseBytes = 16 * 1024 * 1024

    func batchGetItem(_ request: JSONValue) throws -> JSONValue {
        let requestItems = try Self.requestItems(request)
        struct TableRequest {
            var table: TableDefinition
            var keys: [Item]
            var projection: [AttributePath]?
            var raw: JSONValue
        }
        var plans: [(String, TableRequest)] = []
        var total = 0
        for name in requestItems.keys.sorted() {
            let spec = requestItems[name]!
            try Self.refuseLegacy(spec, ["AttributesToGet"])
            let table = try table(named: name)
            guard case .array(let keyList) = try Self.required(spec, "Keys", path: "requestItems.\(name).member.keys")
            else {
                throw DynamoError.serialization("Keys must be a list")
            }
            var keys: [Item] = []
            var seen: Set<[UInt8]> = []
            for keyJSON in keyList {
                let key = try Item.fromJSON(keyJSON, parameter: "Keys")
                let bytes = try keyBytes(table, key, exact: true)
                guard seen.insert(bytes.hash + [0xFF] + bytes.range).inserted else {
                    throw DynamoError.validation("Provided list of item keys contains duplicates")
                }
                keys.append(key)
            }
            var attributes = try ExpressionAttributes(request: spec)
            let projection = try Self.projection(spec, &attributes)
            try attributes.checkAllUsed()
            total += keys.count
            plans.append((name, TableRequest(table: table, keys: keys, projection: projection, raw: spec)))
        }
        guard total <= Self.batchGetLimit else {
            throw DynamoError.validation("Too many items requested for the BatchGetItem call")
        }
        var responses: [String: JSONValue] = [:]
        var unprocessed: [String: JSONValue] = [:]
        var units: [String: Double] = [:]
        let capacityMode = try CapacityUnits.requested(request)
        var bytes = 0
        var throttled = false
        var processed = 0
        for (name, plan) in plans {
            var found: [JSONValue] = []
            var leftover: [JSONValue] = []
            for key in plan.keys {
                if bytes >= Self.batchGetResponseBytes {
                    leftover.append(key.json)
                    continue
                }
                // A spent read budget leaves the rest of the table's keys unprocessed.
                guard hasCapacity(Budget(table: plan.table, kind: .read)) else {
                    leftover.append(key.json)
                    throttled = true
                    continue
                }
                let k = try keyBytes(plan.table, key, exact: true)
                let item = try loadItem(
                    plan.table, hash: k.hash, range: k.range, consistent: plan.raw["ConsistentRead"] == .bool(true))
                let cost = CapacityUnits.read(
                    bytes: item.map(ItemSize.of) ?? 0,
                    consistent: plan.raw["ConsistentRead"] == .bool(true)
                )
                units[name, default: 0] += cost
                spend(Budget(table: plan.table, kind: .read), cost)
                processed += 1
                if let item {
                    bytes += ItemSize.of(item)
                    found.append((plan.projection.map { Projection.apply($0, to: item) } ?? item).json)
                }
            }
            responses[name] = .array(found)
            if !leftover.isEmpty {
                var spec = plan.raw.objectValue ?? [:]
                spec["Keys"] = .array(leftover)
                unprocessed[name] = .object(spec)
            }
        }
        if throttled && processed == 0, let first = plans.first {
            try admit([Budget(table: first.1.table, kind: .read)])  // nothing could be read: throttled
        }
        let capacity = CapacityUnits.list(units, mode: capacityMode)
        return JSONValue.object(["Responses": .object(responses), "UnprocessedKeys": .object(unprocessed)])
            .withCapacity(capacity)
    }

    func batchWriteItem(_ request: JSONValue) throws -> JSONValue {
        let requestItems = try Self.requestItems(request)
        enum Write {
            case put(Item)
            case delete
        }
        var writes: [(TableDefinition, [UInt8], [UInt8], Write)] = []
        var originals: [JSONValue] = []  // each request as sent, for UnprocessedItems
        for name in requestItems.keys.sorted() {
            let table = try table(named: name)
            guard case .array(let list) = requestItems[name]! else {
                throw DynamoError.serialization("RequestItems values must be lists")
            }
            guard (1...Self.batchWriteLimit).contains(list.count) else {
                throw DynamoError.validation(
                    "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
                )
            }
            var seen: Set<[UInt8]> = []
            for entry in list {
                let put = entry["PutRequest"].flatMap { $0 == .null ? nil : $0 }
                let delete = entry["DeleteRequest"].flatMap { $0 == .null ? nil : $0 }
                let write: Write
                let key: (hash: [UInt8], range: [UInt8])
                switch (put, delete) {
                case (let p?, nil):
                    let item = try Item.fromJSON(try Self.required(p, "Item", path: "item"), parameter: "Item")
                    key = try keyBytes(table, item, exact: false)
                    try Self.checkWritable(item)
                    write = .put(item)
                case (nil, let d?):
                    let k = try Item.fromJSON(try Self.required(d, "Key", path: "key"), parameter: "Key")
                    key = try keyBytes(table, k, exact: true)
                    write = .delete
                default:
                    throw DynamoError.validation(
                        "A WriteRequest must contain exactly one of PutRequest or DeleteRequest")
                }
                // DynamoDB refuses two requests for one item in a batch (moto accepts them).
                guard seen.insert(key.hash + [0xFF] + key.range).inserted else {
                    throw DynamoError.validation("Provided list of item keys contains duplicates")
                }
                writes.append((table, key.hash, key.range, write))
                originals.append(entry)
            }
        }
        guard writes.count <= Self.batchWriteLimit else {
            throw DynamoError.validation(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
            )
        }
        let capacityMode = try CapacityUnits.requested(request)
        var units: [String: Double] = [:]
        var unprocessed: [String: [JSONValue]] = [:]
        try db.transaction {
            for (index, (table, hash, range, write)) in writes.enumerated() {
                // A spent write budget (the table's or a GSI's) leaves the request unprocessed.
                let budgets =
                    [Budget(table: table, kind: .write)]
                    + table.indexes.filter { $0.kind == .global }.map { Budget(table: table, index: $0, kind: .write) }
                guard budgets.allSatisfy(hasCapacity) else {
                    unprocessed[table.name, default: []].append(originals[index])
                    continue
                }
                switch write {
                case .put(let item):
                    let old = try loadItem(table, hash: hash, range: range)
                    try storeItem(table, item, hash: hash, range: range, old: .some(old))
                    units[table.name, default: 0] += CapacityUnits.write(bytes: ItemSize.of(item))
                    _ = try chargeWrite(table, old: old, new: item, mode: nil)
                case .delete:
                    let old = try loadItem(table, hash: hash, range: range)
                    try removeItem(table, hash: hash, range: range, old: .some(old))
                    units[table.name, default: 0] += CapacityUnits.write(bytes: 0)
                    _ = try chargeWrite(table, old: old, new: nil, mode: nil)
                }
            }
            if unprocessed.values.reduce(0, { $0 + $1.count }) == writes.count {
                try admit([Budget(table: writes[0].0, kind: .write)])  // nothing fitted: throttled
            }
        }
        let capacity = CapacityUnits.list(units, mode: capacityMode)
        return JSONValue.object(["UnprocessedItems": .object(unprocessed.mapValues { .array($0) })]).withCapacity(
            capacity)
    }
}
