import DynamoExpressions
import DynamoModel

extension EmbeddedEngine {
    /// DynamoDB stops a Query or Scan page once it has read this much, before filtering.
    static let pageLimitBytes = 1024 * 1024

    /// The options Query and Scan share.
    struct ReadOptions {
        var filter: Condition?
        var projection: [AttributePath]?
        var countOnly: Bool
        var limit: Int?
        var exclusiveStart: Item?
        var capacityMode: String? = nil
        var consistent = false
        /// The index read, if any: a GSI's reads spend its own capacity.
        var index: IndexDefinition? = nil
    }

    /// The index a Query or Scan names, if any.
    func readIndex(_ request: JSONValue, _ table: TableDefinition) throws -> IndexDefinition? {
        guard let name = try Self.string(request, "IndexName") else { return nil }
        guard let index = table.index(named: name) else {
            throw DynamoError.validation("The table does not have the specified index: \(name)")
        }
        if index.kind == .global && request["ConsistentRead"] == .bool(true) {
            throw DynamoError.validation("Consistent reads are not supported on global secondary indexes")
        }
        return index
    }

    func readOptions(
        _ request: JSONValue,
        _ table: TableDefinition,
        _ attributes: inout ExpressionAttributes,
        index: IndexDefinition? = nil
    ) throws -> ReadOptions {
        let filter = try Self.condition(request, "FilterExpression", kind: .filter, &attributes)
        let projection = try Self.projection(request, &attributes)
        let select = try Self.string(request, "Select")
        switch select {
        case "ALL_ATTRIBUTES" where index != nil && index!.projectionType != "ALL":
            throw DynamoError.validation(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for secondary index \(index!.name) because its projection type is not ALL"
            )
        case nil, "ALL_ATTRIBUTES":
            if projection != nil && select != nil {
                throw DynamoError.validation(
                    "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
            }
        case "COUNT":
            if projection != nil {
                throw DynamoError.validation("Cannot specify the ProjectionExpression when choosing to get COUNT")
            }
        case "SPECIFIC_ATTRIBUTES":
            if projection == nil {
                throw DynamoError.validation(
                    "Must specify the ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
            }
        case "ALL_PROJECTED_ATTRIBUTES":
            guard index != nil else {
                throw DynamoError.validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
            }
        default:
            throw DynamoError.validation(
                "1 validation error detected: Value '\(select!)' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
            )
        }
        var limit: Int?
        if let l = request["Limit"], l != .null {
            guard let n = l.intValue, n >= 1 else {
                throw DynamoError.validation(
                    "1 validation error detected: Value '\(l.intValue.map(String.init) ?? "?")' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
                )
            }
            limit = n
        }
        var start: Item?
        if let esk = request["ExclusiveStartKey"], esk != .null {
            let key = try Item.fromJSON(esk, parameter: "ExclusiveStartKey")
            let expected = Set(table.keyNames + (index?.keyNames ?? []))
            let base = Self.key(of: key, table)
            guard Set(key.keys) == expected, (try? keyBytes(table, base, exact: true)) != nil else {
                throw DynamoError.validation(
                    "The provided starting key is invalid: The provided key element does not match the schema")
            }
            start = key
        }
        return ReadOptions(
            filter: filter,
            projection: projection,
            countOnly: select == "COUNT",
            limit: limit,
            exclusiveStart: start,
            capacityMode: try CapacityUnits.requested(request),
            consistent: request["ConsistentRead"] == .bool(true),
            index: index
        )
    }

    /// Walks rows in order, applying Limit, the 1 MB page, the filter and the projection.
    func page(
        _ table: TableDefinition,
        _ options: ReadOptions,
        rows: () throws -> (Item, Int)?,
        accept: (Item) -> Bool = { _ in true },
        keyNames: [String]? = nil
    ) throws -> JSONValue {
        var items: [JSONValue] = []
        var count = 0
        var scanned = 0
        var bytes = 0
        var lastKey: Item?
        while let (item, size) = try rows() {
            guard accept(item) else { continue }
            scanned += 1
            bytes += size
            if try options.filter.map({ try ConditionEvaluator.evaluate($0, item: item, kind: .filter) }) ?? true {
                count += 1
                if !options.countOnly {
                    items.append((options.projection.map { Projection.apply($0, to: item) } ?? item).json)
                }
            }
            if scanned == options.limit || bytes >= Self.pageLimitBytes {
                lastKey = (keyNames ?? table.keyNames).reduce(into: Item()) { $0[$1] = item[$1] }
                break
            }
        }
        var response: [String: JSONValue] = [
            "Count": .number(String(count)),
            "ScannedCount": .number(String(scanned)),
        ]
        if !options.countOnly { response["Items"] = .array(items) }
        if let lastKey { response["LastEvaluatedKey"] = lastKey.json }
        let units = CapacityUnits.read(bytes: bytes, consistent: options.consistent)
        try chargeRead(table, index: options.index, units: units)
        if let mode = options.capacityMode {
            response["ConsumedCapacity"] = CapacityUnits.json(table: table.name, units: units, mode: mode)
        }
        return .object(response)
    }

    func query(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, ["KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator"])
        let table = try table(request)
        var attributes = try ExpressionAttributes(request: request)
        guard let keyText = try Self.string(request, "KeyConditionExpression") else {
            throw DynamoError.validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        let index = try readIndex(request, table)
        var view = table
        if let index {
            view.hashKey = index.hashKey
            view.rangeKey = index.rangeKey
        }
        let keyCondition = try KeyCondition(
            try Expressions.condition(keyText, kind: .keyCondition, attributes: &attributes),
            table: view
        )
        let options = try readOptions(request, table, &attributes, index: index)
        if let filter = options.filter {
            for name in Self.topLevelNames(filter) where view.isKeyAttribute(name) {
                throw DynamoError.validation(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: \(name)"
                )
            }
        }
        let forward: Bool
        switch request["ScanIndexForward"] {
        case nil, .null?: forward = true
        case .bool(let b)?: forward = b
        default: throw DynamoError.serialization("ScanIndexForward must be a boolean")
        }
        try attributes.checkAllUsed()
        if let index {
            return try queryIndex(table, index, keyCondition, options, forward: forward)
        }
        let hash = CanonicalBytes.sortable(keyCondition.hashValue)!
        if let start = options.exclusiveStart, start[table.hashKey.name] != keyCondition.hashValue {
            throw DynamoError.validation(
                "The provided starting key is invalid: Exclusive start key must have same hash key as the query")
        }

        var sql =
            "SELECT item, size FROM \(try readSource(consistent: options.consistent).items) WHERE tbl = ? AND hk = ?"
        var binds: [[UInt8]] = []
        if let start = options.exclusiveStart, let rangeKey = table.rangeKey, let v = start[rangeKey.name] {
            sql += forward ? " AND rk > ?" : " AND rk < ?"
            binds.append(CanonicalBytes.sortable(v)!)
        }
        if options.exclusiveStart != nil && table.rangeKey == nil {
            // A hash-only table has one item per partition: nothing follows it.
            return try page(table, options, rows: { nil })
        }
        let bounds = keyCondition.sqlBounds(column: "rk")
        sql += bounds.sql
        binds += bounds.binds
        sql += forward ? " ORDER BY rk ASC" : " ORDER BY rk DESC"
        let statement = try db.statement(sql)
        statement.bind(1, table.name)
        statement.bind(2, hash)
        for (i, b) in binds.enumerated() { statement.bind(Int32(i + 3), b) }
        return try keyConditionPage(table, options, statement, keyCondition, rangeKey: table.rangeKey, forward: forward)
    }

    /// A Query page over a statement selecting (item, size) in sort-key order: rows whose sort
    /// key fails the condition are skipped (begins_with only has a lower SQL bound), and an
    /// ascending begins_with stops at the first row past the prefix.
    func keyConditionPage(
        _ table: TableDefinition,
        _ options: ReadOptions,
        _ statement: SQLiteStatement,
        _ keyCondition: KeyCondition,
        rangeKey: KeyAttribute?,
        forward: Bool,
        keyNames: [String]? = nil
    ) throws -> JSONValue {
        var prefixEnded = false
        return try page(
            table,
            options,
            rows: {
                guard !prefixEnded, try statement.step() else { return nil }
                return (try Self.decodeItem(statement.blob(0)), Int(statement.int64(1)))
            },
            accept: { item in
                guard let rangeKey, let value = item[rangeKey.name] else { return true }
                if keyCondition.matches(value) { return true }
                if case .beginsWith? = keyCondition.range, forward { prefixEnded = true }
                return false
            },
            keyNames: keyNames
        )
    }

    func scan(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, ["ScanFilter", "AttributesToGet", "ConditionalOperator"])
        let table = try table(request)
        var attributes = try ExpressionAttributes(request: request)
        let index = try readIndex(request, table)
        let options = try readOptions(request, table, &attributes, index: index)
        try attributes.checkAllUsed()
        let segment = request["Segment"].flatMap { $0 == .null ? nil : $0 }
        let total = request["TotalSegments"].flatMap { $0 == .null ? nil : $0 }
        var segmentation: (Int, Int)?
        switch (segment, total) {
        case (nil, nil):
            break
        case (let s?, let t?):
            guard let t = t.intValue, (1...1_000_000).contains(t) else {
                throw DynamoError.validation(
                    "1 validation error detected: Value at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000"
                )
            }
            guard let s = s.intValue, s >= 0, s < t else {
                throw DynamoError.validation(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: \(s.intValue.map(String.init) ?? "?") is out of bounds for TotalSegments: \(t)"
                )
            }
            segmentation = (s, t)
        case (nil, _?):
            throw DynamoError.validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
            )
        case (_?, nil):
            throw DynamoError.validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
            )
        }
        if let index { return try scanIndex(table, index, options, segmentation: segmentation) }
        var sql = "SELECT hk, item, size FROM \(try readSource(consistent: options.consistent).items) WHERE tbl = ?"
        var startBinds: [[UInt8]] = []
        if let start = options.exclusiveStart {
            let key = try keyBytes(table, start, exact: true)
            sql += " AND (hk, rk) > (?, ?)"
            startBinds = [key.hash, key.range]
        }
        sql += " ORDER BY hk, rk"
        let statement = try db.statement(sql)
        statement.bind(1, table.name)
        for (i, b) in startBinds.enumerated() { statement.bind(Int32(i + 2), b) }
        return try page(
            table,
            options,
            rows: { try Self.nextRow(statement, segmentation: segmentation) }
        )
    }

    /// The next (item, size) of a scan statement selecting (hash, item, size), skipping rows of
    /// other segments.
    static func nextRow(_ statement: SQLiteStatement, segmentation: (Int, Int)?) throws -> (Item, Int)? {
        while try statement.step() {
            if let (segment, total) = segmentation, Int(CRC32.checksum(statement.blob(0)) % UInt32(total)) != segment {
                continue
            }
            return (try decodeItem(statement.blob(1)), Int(statement.int64(2)))
        }
        return nil
    }

    /// The top-level attribute names a condition reads.
    static func topLevelNames(_ condition: Condition) -> Set<String> {
        func operand(_ o: Operand) -> Set<String> {
            switch o {
            case .path(let p), .size(let p): [p.topLevelName]
            default: []
            }
        }
        switch condition {
        case .compare(_, let a, let b), .beginsWith(let a, let b), .contains(let a, let b):
            return operand(a).union(operand(b))
        case .between(let a, let b, let c): return operand(a).union(operand(b)).union(operand(c))
        case .isIn(let a, let list): return list.reduce(operand(a)) { $0.union(operand($1)) }
        case .and(let a, let b), .or(let a, let b): return topLevelNames(a).union(topLevelNames(b))
        case .not(let c): return topLevelNames(c)
        case .attributeExists(let p), .attributeNotExists(let p), .attributeType(let p, _): return [p.topLevelName]
        }
    }
}
