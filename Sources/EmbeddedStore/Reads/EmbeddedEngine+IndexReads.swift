import DynamoExpressions
import DynamoModel

extension EmbeddedEngine {
    /// The sortable bytes of an index entry's position: index range key, then the base key.
    func indexPosition(_ item: Item, _ table: TableDefinition, _ index: IndexDefinition) throws -> [[UInt8]] {
        let base = try keyBytes(table, Self.key(of: item, table), exact: true)
        let irk = index.rangeKey.flatMap { item[$0.name] }.flatMap(CanonicalBytes.sortable) ?? []
        return [irk, base.hash, base.range]
    }

    func queryIndex(
        _ table: TableDefinition,
        _ index: IndexDefinition,
        _ keyCondition: KeyCondition,
        _ options: ReadOptions,
        forward: Bool
    ) throws -> JSONValue {
        if let start = options.exclusiveStart, start[index.hashKey.name] != keyCondition.hashValue {
            throw DynamoError.validation(
                "The provided starting key is invalid: Exclusive start key must have same hash key as the query")
        }
        let entries = try readSource(consistent: options.consistent && index.kind == .local).indexItems
        var sql = "SELECT item, size FROM \(entries) WHERE tbl = ? AND idx = ? AND ihk = ?"
        var binds: [[UInt8]] = []
        if let start = options.exclusiveStart {
            sql += forward ? " AND (irk, bhk, brk) > (?, ?, ?)" : " AND (irk, bhk, brk) < (?, ?, ?)"
            binds += try indexPosition(start, table, index)
        }
        let bounds = keyCondition.sqlBounds(column: "irk")
        sql += bounds.sql
        binds += bounds.binds
        sql += forward ? " ORDER BY irk ASC, bhk ASC, brk ASC" : " ORDER BY irk DESC, bhk DESC, brk DESC"
        let statement = try db.statement(sql)
        statement.bind(1, table.name)
        statement.bind(2, index.name)
        statement.bind(3, CanonicalBytes.sortable(keyCondition.hashValue)!)
        for (i, b) in binds.enumerated() { statement.bind(Int32(i + 4), b) }
        return try keyConditionPage(
            table,
            options,
            statement,
            keyCondition,
            rangeKey: index.rangeKey,
            forward: forward,
            keyNames: index.pageKeyNames(table)
        )
    }

    func scanIndex(
        _ table: TableDefinition,
        _ index: IndexDefinition,
        _ options: ReadOptions,
        segmentation: (Int, Int)?
    ) throws -> JSONValue {
        let entries = try readSource(consistent: options.consistent && index.kind == .local).indexItems
        var sql = "SELECT ihk, item, size FROM \(entries) WHERE tbl = ? AND idx = ?"
        var binds: [[UInt8]] = []
        if let start = options.exclusiveStart {
            guard let ihk = start[index.hashKey.name].flatMap(CanonicalBytes.sortable) else {
                throw DynamoError.validation("The provided starting key is invalid")
            }
            sql += " AND (ihk, irk, bhk, brk) > (?, ?, ?, ?)"
            binds = [ihk] + (try indexPosition(start, table, index))
        }
        sql += " ORDER BY ihk, irk, bhk, brk"
        let statement = try db.statement(sql)
        statement.bind(1, table.name)
        statement.bind(2, index.name)
        for (i, b) in binds.enumerated() { statement.bind(Int32(i + 3), b) }
        return try page(
            table,
            options,
            rows: { try Self.nextRow(statement, segmentation: segmentation) },
            keyNames: index.pageKeyNames(table)
        )
    }
}
