import DynamoModel

/// Time to live: UpdateTimeToLive / DescribeTimeToLive, an index of expiry times kept beside the
/// items of tables with TTL on, and the sweeper that deletes expired items in the background.
///
/// As on DynamoDB, an expired item stays readable until it is swept; items whose expiry is more
/// than five years in the past are never deleted; each deletion's stream record says the service
/// did it (`userIdentity {Type: Service, PrincipalId: dynamodb.amazonaws.com}`).
extension EmbeddedEngine {
    static let ttlSchema = """
        CREATE TABLE IF NOT EXISTS dc_ttl (
            tbl TEXT NOT NULL, expires_ms INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
            PRIMARY KEY (tbl, expires_ms, hk, rk)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS dc_ttl_item ON dc_ttl (tbl, hk, rk);
        """

    /// The Streams API's Identity shape (members `PrincipalId`, `Type`; a Lambda event spells
    /// them `principalId`, `type`).
    static let serviceIdentity = JSONValue.object([
        "Type": .string("Service"), "PrincipalId": .string("dynamodb.amazonaws.com"),
    ])
    static let fiveYearsMilliseconds: Int64 = 5 * 365 * 24 * 3_600 * 1_000

    func updateTimeToLive(_ request: JSONValue) throws -> JSONValue {
        var table = try table(request)
        guard let spec = request["TimeToLiveSpecification"], case .bool(let enabled)? = spec["Enabled"],
            let attribute = spec["AttributeName"]?.stringValue, !attribute.isEmpty
        else {
            throw DynamoError.validation(
                "1 validation error detected: TimeToLiveSpecification needs Enabled and a non-empty AttributeName")
        }
        switch (table.timeToLive, enabled) {
        case (.some, true):
            throw DynamoError.validation("TimeToLive is already enabled")
        case (.none, false):
            throw DynamoError.validation("TimeToLive is already disabled")
        case (.some(let current), false) where current != attribute:
            throw DynamoError.validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is \(current)")
        default:
            break
        }
        table.timeToLive = enabled ? attribute : nil
        let definition = table
        try db.transaction {
            let clear = try db.statement("DELETE FROM dc_ttl WHERE tbl = ?")
            clear.bind(1, definition.name)
            try clear.run()
            if enabled {
                // Backfill: every item that carries the attribute as a number.
                let select = try db.statement("SELECT hk, rk, item FROM dc_items WHERE tbl = ?")
                select.bind(1, definition.name)
                var rows: [([UInt8], [UInt8], [UInt8])] = []
                while try select.step() { rows.append((select.blob(0), select.blob(1), select.blob(2))) }
                for (hash, range, bytes) in rows {
                    try indexExpiry(definition, try Self.decodeItem(bytes), hash: hash, range: range)
                }
            }
            try saveDefinition(definition)
        }
        tables[table.name] = table
        return .object([
            "TimeToLiveSpecification": .object(["Enabled": .bool(enabled), "AttributeName": .string(attribute)])
        ])
    }

    func describeTimeToLive(_ request: JSONValue) throws -> JSONValue {
        let table = try table(request)
        guard let attribute = table.timeToLive else {
            return .object(["TimeToLiveDescription": .object(["TimeToLiveStatus": .string("DISABLED")])])
        }
        return .object([
            "TimeToLiveDescription": .object([
                "TimeToLiveStatus": .string("ENABLED"), "AttributeName": .string(attribute),
            ])
        ])
    }

    func saveDefinition(_ table: TableDefinition) throws {
        let update = try db.statement("UPDATE dc_tables SET definition = ? WHERE name = ?")
        update.bind(1, JSONWriter.bytes(table.json))
        update.bind(2, table.name)
        try update.run()
    }

    /// The item's expiry in milliseconds: its TTL attribute as a number of epoch seconds.
    static func expiry(_ item: Item, attribute: String) -> Int64? {
        guard case .n(let number)? = item[attribute], let seconds = Double(number.description), seconds.isFinite
        else { return nil }
        let milliseconds = seconds * 1000
        guard milliseconds > 0, milliseconds < 9e18 else { return nil }
        return Int64(milliseconds)
    }

    /// Keeps the expiry index in step with one item (nil: the item is gone).
    func indexExpiry(_ table: TableDefinition, _ item: Item?, hash: [UInt8], range: [UInt8]) throws {
        guard let attribute = table.timeToLive else { return }
        let delete = try db.statement("DELETE FROM dc_ttl WHERE tbl = ? AND hk = ? AND rk = ?")
        delete.bind(1, table.name)
        delete.bind(2, hash)
        delete.bind(3, range)
        try delete.run()
        guard let item, let expires = Self.expiry(item, attribute: attribute) else { return }
        let insert = try db.statement("INSERT OR REPLACE INTO dc_ttl (tbl, expires_ms, hk, rk) VALUES (?, ?, ?, ?)")
        insert.bind(1, table.name)
        insert.bind(2, expires)
        insert.bind(3, hash)
        insert.bind(4, range)
        try insert.run()
    }

    /// Deletes up to `limit` expired items across the tables with TTL on; returns how many.
    @discardableResult
    func sweepExpiredItems(limit: Int = 1_000) throws -> Int {
        let now = nowMilliseconds
        var deleted = 0
        for table in tables.values.sorted(by: { $0.name < $1.name }) where table.timeToLive != nil {
            let select = try db.statement(
                "SELECT hk, rk FROM dc_ttl WHERE tbl = ? AND expires_ms >= ? AND expires_ms < ? ORDER BY expires_ms LIMIT ?"
            )
            select.bind(1, table.name)
            select.bind(2, now - Self.fiveYearsMilliseconds)
            select.bind(3, now)
            select.bind(4, Int64(limit - deleted))
            var due: [([UInt8], [UInt8])] = []
            while try select.step() { due.append((select.blob(0), select.blob(1))) }
            guard !due.isEmpty else { continue }
            try db.transaction {
                for (hash, range) in due {
                    guard let item = try loadItem(table, hash: hash, range: range),
                        let expires = Self.expiry(item, attribute: table.timeToLive!), expires < now
                    else { continue }
                    try removeItem(table, hash: hash, range: range, old: .some(item), identity: Self.serviceIdentity)
                    deleted += 1
                }
            }
            if deleted >= limit { break }
        }
        return deleted
    }
}
