import DynamoModel
import NIOConcurrencyHelpers

/// What the consumers did, per table, for `/stats` under `stream`.
public final class ChangeStreamStats: Sendable {
    struct Table: Sendable {
        var state = "starting"
        var streamArn: String?
        var recordsProcessed = 0
        var invalidations = 0
        var drops = 0
        var iteratorRenewals = 0
        var shards = 0
        /// ApproximateCreationDateTime has one-second resolution, so ages are whole seconds.
        var lastRecordAgeSeconds: Int64?
        var maxRecordAgeSeconds: Int64 = 0
        var pollIntervalMilliseconds: Double = 0
    }

    let tables = NIOLockedValueBox<[String: Table]>([:])
    /// Reads of tables not followed because `maxTables` were already (names are not kept:
    /// their number is what is bounded).
    let refusedWatches = NIOLockedValueBox(0)

    func refused(_ table: String) { refusedWatches.withLockedValue { $0 += 1 } }

    func update(_ table: String, _ body: (inout Table) -> Void) {
        tables.withLockedValue { body(&$0[table, default: Table()]) }
    }

    public var recordsProcessed: Int { tables.withLockedValue { $0.values.reduce(0) { $0 + $1.recordsProcessed } } }

    public var json: JSONValue {
        let tables = tables.withLockedValue { $0 }
        func n(_ v: Int) -> JSONValue { .number(String(v)) }
        var out: [String: JSONValue] = [:]
        for (name, t) in tables {
            var o: [String: JSONValue] = [
                "state": .string(t.state), "recordsProcessed": n(t.recordsProcessed),
                "invalidations": n(t.invalidations), "drops": n(t.drops), "iteratorRenewals": n(t.iteratorRenewals),
                "shards": n(t.shards), "maxRecordAgeSeconds": .number(String(t.maxRecordAgeSeconds)),
                "pollIntervalMs": .number(String(Int(t.pollIntervalMilliseconds))),
            ]
            if let arn = t.streamArn { o["streamArn"] = .string(arn) }
            if let age = t.lastRecordAgeSeconds { o["lastRecordAgeSeconds"] = .number(String(age)) }
            out[name] = .object(o)
        }
        return .object([
            "recordsProcessed": n(recordsProcessed), "tables": .object(out),
            "unwatchedReads": n(refusedWatches.withLockedValue { $0 }),
        ])
    }
}
