import DynamoModel
import Foundation

/// Writing the change stream: streams and shards in SQLite beside the items, and one record per
/// item change, inserted in the same SQLite transaction as the change itself (so a crash keeps
/// both or neither). Nothing about streams is cached in memory, so a rolled-back transaction
/// leaves nothing behind.
extension EmbeddedEngine {
    static let streamSchema = """
        CREATE TABLE IF NOT EXISTS dc_streams (
            arn TEXT PRIMARY KEY, tbl TEXT NOT NULL, label TEXT NOT NULL, view TEXT NOT NULL,
            enabled INTEGER NOT NULL, created_ms INTEGER NOT NULL, key_schema BLOB NOT NULL, disabled_ms INTEGER
        );
        CREATE TABLE IF NOT EXISTS dc_shards (
            arn TEXT NOT NULL, shard TEXT NOT NULL, parent TEXT, start_seq INTEGER NOT NULL, end_seq INTEGER,
            created_ms INTEGER NOT NULL, trimmed_through INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (arn, shard)
        );
        CREATE TABLE IF NOT EXISTS dc_stream_records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, arn TEXT NOT NULL, shard TEXT NOT NULL, created_ms INTEGER NOT NULL,
            record BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS dc_stream_records_shard ON dc_stream_records (arn, shard, seq);
        CREATE INDEX IF NOT EXISTS dc_stream_records_age ON dc_stream_records (created_ms);
        """

    var nowMilliseconds: Int64 { Int64((now() * 1000).rounded(.down)) }

    // MARK: Streams

    /// A new stream for `table` (CreateTable or UpdateTable with StreamEnabled), with its first shard.
    func enableStream(_ table: inout TableDefinition, viewType: TableStream.ViewType) throws {
        if table.stream?.enabled == true {
            throw DynamoError.validation("Table already has an enabled stream: \(table.stream!.arn)")
        }
        let created = nowMilliseconds
        var label = Self.streamLabel(created)
        if label == table.stream?.label { label = Self.streamLabel(created + 1) }
        let arn = "\(table.arn)/stream/\(label)"
        let insert = try db.statement(
            "INSERT INTO dc_streams (arn, tbl, label, view, enabled, created_ms, key_schema) VALUES (?, ?, ?, ?, 1, ?, ?)"
        )
        insert.bind(1, arn)
        insert.bind(2, table.name)
        insert.bind(3, label)
        insert.bind(4, viewType.rawValue)
        insert.bind(5, created)
        insert.bind(6, JSONWriter.bytes(Self.keySchemaJSON(table)))
        try insert.run()
        try openShard(arn: arn, parent: nil)
        table.stream = TableStream(arn: arn, label: label, viewType: viewType, enabled: true)
    }

    /// Disables the table's stream (UpdateTable, or DeleteTable): its open shard closes; its
    /// records stay readable until retention trims them.
    func disableStream(_ table: inout TableDefinition) throws {
        guard var stream = table.stream, stream.enabled else {
            throw DynamoError.validation("Table already has no enabled stream")
        }
        let update = try db.statement("UPDATE dc_streams SET enabled = 0, disabled_ms = ? WHERE arn = ?")
        update.bind(1, nowMilliseconds)
        update.bind(2, stream.arn)
        try update.run()
        if let open = try openShard(of: stream.arn) { try close(open.shard, arn: stream.arn) }
        stream.enabled = false
        table.stream = stream
    }

    static func streamLabel(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func keySchemaJSON(_ table: TableDefinition) -> JSONValue {
        var schema: [JSONValue] = [
            .object(["AttributeName": .string(table.hashKey.name), "KeyType": .string("HASH")])
        ]
        if let range = table.rangeKey {
            schema.append(.object(["AttributeName": .string(range.name), "KeyType": .string("RANGE")]))
        }
        return .array(schema)
    }

    // MARK: Shards

    /// The newest sequence number ever given (AUTOINCREMENT: never reused, even once every
    /// record is trimmed, and rolled back with a failed transaction).
    var lastSequence: Int64 {
        get throws {
            let select = try db.statement(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'dc_stream_records'), 0)")
            _ = try select.step()
            return select.int64(0)
        }
    }

    func openShard(arn: String, parent: String?) throws {
        let created = nowMilliseconds
        let id = String(format: "shardId-%020lld-%08x", created, UInt32.random(in: 0...UInt32.max))
        let insert = try db.statement(
            "INSERT INTO dc_shards (arn, shard, parent, start_seq, created_ms) VALUES (?, ?, ?, ?, ?)")
        insert.bind(1, arn)
        insert.bind(2, id)
        if let parent { insert.bind(3, parent) } else { insert.bindNull(3) }
        insert.bind(4, try lastSequence + 1)
        insert.bind(5, created)
        try insert.run()
    }

    func openShard(of arn: String) throws -> (shard: String, createdMilliseconds: Int64)? {
        let select = try db.statement("SELECT shard, created_ms FROM dc_shards WHERE arn = ? AND end_seq IS NULL")
        select.bind(1, arn)
        guard try select.step() else { return nil }
        return (select.text(0), select.int64(1))
    }

    /// Closes a shard at its last record (an empty shard ends where it started).
    func close(_ shard: String, arn: String) throws {
        let update = try db.statement(
            """
            UPDATE dc_shards SET end_seq = COALESCE(
                (SELECT MAX(seq) FROM dc_stream_records WHERE arn = ?1 AND shard = ?2), start_seq)
            WHERE arn = ?1 AND shard = ?2
            """)
        update.bind(1, arn)
        update.bind(2, shard)
        try update.run()
    }

    /// The shard a new record goes to: the open one, or its child when it is past its period.
    func shardForWrite(_ arn: String) throws -> String {
        guard let open = try openShard(of: arn) else {
            try openShard(arn: arn, parent: nil)
            return try openShard(of: arn)!.shard
        }
        if Double(nowMilliseconds - open.createdMilliseconds) >= streamSettings.shardPeriodSeconds * 1000 {
            try close(open.shard, arn: arn)
            try openShard(arn: arn, parent: open.shard)
            return try openShard(of: arn)!.shard
        }
        return open.shard
    }

    // MARK: Records

    /// Records one item change on the table's stream, if it has one and something changed.
    /// `identity` is the record's userIdentity (the TTL sweeper's deletions carry one).
    func recordChange(_ table: TableDefinition, old: Item?, new: Item?, identity: JSONValue? = nil) throws {
        guard let stream = table.stream, stream.enabled, old != new, let image = new ?? old else { return }
        let eventName = old == nil ? "INSERT" : new == nil ? "REMOVE" : "MODIFY"
        let keys = Self.key(of: image, table)
        let created = nowMilliseconds
        var size = ItemSize.of(keys)
        var change: [String: JSONValue] = [
            "ApproximateCreationDateTime": .number(String(created / 1000)),
            "Keys": keys.json,
            "StreamViewType": .string(stream.viewType.rawValue),
        ]
        if stream.viewType.includesNew, let new {
            change["NewImage"] = new.json
            size += ItemSize.of(new)
        }
        if stream.viewType.includesOld, let old {
            change["OldImage"] = old.json
            size += ItemSize.of(old)
        }
        change["SizeBytes"] = .number(String(max(size, 1)))
        var record: [String: JSONValue] = [
            "eventID": .string(eventID()),
            "eventName": .string(eventName),
            "eventVersion": .string("1.1"),
            "eventSource": .string("aws:dynamodb"),
            "awsRegion": .string("us-east-1"),
            "dynamodb": .object(change),
        ]
        if let identity { record["userIdentity"] = identity }
        let shard = try shardForWrite(stream.arn)
        // Stored without its SequenceNumber (the row's seq), which GetRecords puts in.
        let insert = try db.statement(
            "INSERT INTO dc_stream_records (arn, shard, created_ms, record) VALUES (?, ?, ?, ?)")
        insert.bind(1, stream.arn)
        insert.bind(2, shard)
        insert.bind(3, created)
        insert.bind(4, JSONWriter.bytes(.object(record)))
        try insert.run()
    }

    /// 32 hex digits, unique per record: from the engine's own generator, seeded once from the
    /// system's (one getrandom call per digit was a tenth of a streamed write's cost).
    func eventID() -> String {
        let (a, b) = (eventIDs.next(), eventIDs.next())
        let hex = String(a, radix: 16) + "|" + String(b, radix: 16)
        let parts = hex.split(separator: "|").map { String(repeating: "0", count: 16 - $0.count) + $0 }
        return parts.joined()
    }

    // MARK: Retention

    /// Trims records past retention (remembering, per shard, how far), then shards and streams
    /// with nothing left that are older than retention.
    func trimStreams() throws {
        let horizon = nowMilliseconds - Int64(streamSettings.retentionSeconds * 1000)
        try db.transaction {
            let marks = try db.statement(
                """
                UPDATE dc_shards SET trimmed_through = MAX(trimmed_through, (
                    SELECT MAX(seq) FROM dc_stream_records r
                    WHERE r.arn = dc_shards.arn AND r.shard = dc_shards.shard AND r.created_ms < ?1))
                WHERE EXISTS (SELECT 1 FROM dc_stream_records r
                    WHERE r.arn = dc_shards.arn AND r.shard = dc_shards.shard AND r.created_ms < ?1)
                """)
            marks.bind(1, horizon)
            try marks.run()
            let records = try db.statement("DELETE FROM dc_stream_records WHERE created_ms < ?")
            records.bind(1, horizon)
            try records.run()
            let shards = try db.statement(
                """
                DELETE FROM dc_shards WHERE end_seq IS NOT NULL AND created_ms < ?
                AND NOT EXISTS (SELECT 1 FROM dc_stream_records r WHERE r.arn = dc_shards.arn AND r.shard = dc_shards.shard)
                """)
            shards.bind(1, horizon)
            try shards.run()
            let streams = try db.statement(
                """
                DELETE FROM dc_streams WHERE enabled = 0 AND disabled_ms < ?
                AND NOT EXISTS (SELECT 1 FROM dc_shards s WHERE s.arn = dc_streams.arn)
                """)
            streams.bind(1, horizon)
            try streams.run()
        }
    }
}
