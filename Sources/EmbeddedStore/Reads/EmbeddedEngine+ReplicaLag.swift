import DynamoModel

/// Replica lag: what lets a cache's tombstone rule be tested for real. With a lag set,
/// eventually consistent reads (GetItem, BatchGetItem, Query and Scan without ConsistentRead, and
/// every GSI read) are answered from a replica that applies each write `lag` after it happened,
/// as a DynamoDB replica that has not caught up; strongly consistent reads, transactions and
/// conditions always see the table itself.
///
/// The replica is a copy of the items and index entries in the same SQLite file, fed by a log
/// written in each write's own transaction and applied, in order, when it falls due, just before
/// an eventually consistent read. It is rebuilt from the table at start.
extension EmbeddedEngine {
    static let replicaSchema =
        itemTables(items: ReadSource.replica.items, indexItems: ReadSource.replica.indexItems) + """

            CREATE TABLE IF NOT EXISTS dc_replica_log (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, due_ms INTEGER NOT NULL, tbl TEXT NOT NULL,
                hk BLOB NOT NULL, rk BLOB NOT NULL, item BLOB
            );
            """

    /// Where a read looks: the table itself, or the lagging replica.
    struct ReadSource {
        var items: String
        var indexItems: String
        static let primary = ReadSource(items: "dc_items", indexItems: "dc_index_items")
        static let replica = ReadSource(items: "dc_replica_items", indexItems: "dc_replica_index_items")
    }

    func readSource(consistent: Bool) throws -> ReadSource {
        guard !consistent, replicaLagMilliseconds > 0 else { return .primary }
        try applyDueReplicaLog()
        return .replica
    }

    /// Starts the replica as a copy of the table (call when the lag is set).
    func resetReplica() throws {
        try db.transaction {
            try db.execute(
                """
                DELETE FROM dc_replica_log;
                DELETE FROM dc_replica_items;
                DELETE FROM dc_replica_index_items;
                INSERT INTO dc_replica_items SELECT tbl, hk, rk, item, size FROM dc_items;
                INSERT INTO dc_replica_index_items SELECT tbl, idx, ihk, irk, bhk, brk, item, size FROM dc_index_items;
                """)
        }
    }

    /// Called by every item write: the replica will see it `lag` from now.
    func logForReplica(_ table: TableDefinition, _ item: Item?, hash: [UInt8], range: [UInt8]) throws {
        guard replicaLagMilliseconds > 0 else { return }
        let insert = try db.statement("INSERT INTO dc_replica_log (due_ms, tbl, hk, rk, item) VALUES (?, ?, ?, ?, ?)")
        insert.bind(1, nowMilliseconds + replicaLagMilliseconds)
        insert.bind(2, table.name)
        insert.bind(3, hash)
        insert.bind(4, range)
        if let item { insert.bind(5, JSONWriter.bytes(item.json)) } else { insert.bindNull(5) }
        try insert.run()
    }

    func applyDueReplicaLog() throws {
        let select = try db.statement(
            "SELECT seq, tbl, hk, rk, item FROM dc_replica_log WHERE due_ms <= ? ORDER BY seq")
        select.bind(1, nowMilliseconds)
        var due: [(Int64, String, [UInt8], [UInt8], [UInt8]?)] = []
        while try select.step() {
            due.append(
                (
                    select.int64(0), select.text(1), select.blob(2), select.blob(3),
                    select.isNull(4) ? nil : select.blob(4)
                ))
        }
        guard let last = due.last?.0 else { return }
        try db.transaction {
            for (_, name, hash, range, bytes) in due {
                guard let table = tables[name] else { continue }
                let item = try bytes.map(Self.decodeItem)
                if let item {
                    let upsert = try db.statement(
                        "INSERT OR REPLACE INTO dc_replica_items (tbl, hk, rk, item, size) VALUES (?, ?, ?, ?, ?)")
                    upsert.bind(1, name)
                    upsert.bind(2, hash)
                    upsert.bind(3, range)
                    upsert.bind(4, bytes!)
                    upsert.bind(5, Int64(ItemSize.of(item)))
                    try upsert.run()
                } else {
                    let delete = try db.statement("DELETE FROM dc_replica_items WHERE tbl = ? AND hk = ? AND rk = ?")
                    delete.bind(1, name)
                    delete.bind(2, hash)
                    delete.bind(3, range)
                    try delete.run()
                }
                try reindex(table, item, hash: hash, range: range, into: ReadSource.replica.indexItems)
            }
            let consumed = try db.statement("DELETE FROM dc_replica_log WHERE seq <= ?")
            consumed.bind(1, last)
            try consumed.run()
        }
    }

    /// After UpdateTable changed a table's indexes: the replica's entries rebuilt from its items.
    func rebuildReplicaIndexes(_ table: TableDefinition) throws {
        guard replicaLagMilliseconds > 0 else { return }
        let clear = try db.statement("DELETE FROM dc_replica_index_items WHERE tbl = ?")
        clear.bind(1, table.name)
        try clear.run()
        let select = try db.statement("SELECT hk, rk, item FROM dc_replica_items WHERE tbl = ?")
        select.bind(1, table.name)
        var rows: [([UInt8], [UInt8], [UInt8])] = []
        while try select.step() { rows.append((select.blob(0), select.blob(1), select.blob(2))) }
        for (hash, range, bytes) in rows {
            try reindex(
                table, try Self.decodeItem(bytes), hash: hash, range: range, into: ReadSource.replica.indexItems)
        }
    }

    /// DeleteTable: the replica forgets the table too.
    func dropFromReplica(_ table: String) throws {
        for sql in [
            "DELETE FROM dc_replica_items WHERE tbl = ?", "DELETE FROM dc_replica_index_items WHERE tbl = ?",
            "DELETE FROM dc_replica_log WHERE tbl = ?",
        ] {
            let statement = try db.statement(sql)
            statement.bind(1, table)
            try statement.run()
        }
    }
}
