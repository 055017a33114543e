import DynamoModel
import NIOConcurrencyHelpers

/// What the cache did, per table and operation, for `/stats`.
public final class CacheStats: Sendable {
    public struct Counters: Sendable, Equatable {
        public var hits = 0
        public var staleHits = 0
        public var negativeHits = 0
        public var misses = 0
        public var bypass = 0
        public var upstreamCalls = 0
        public var fillsDropped = 0
        /// Misses that waited for another request's upstream read of the same entry (single
        /// flight) instead of making their own.
        public var sharedFills = 0
        public var bytes = 0
        /// Read request units DynamoDB would have charged for what the cache answered
        /// (eventually consistent: half a unit per 4 KB, at least half a unit).
        public var readUnitsSaved = 0.0
    }

    public enum Event: Sendable {
        case hit(bytes: Int)
        case stale(bytes: Int)
        case negative
        case miss
        case bypass
        case upstreamCall
        case fillDropped
        case sharedFill
    }

    let state = NIOLockedValueBox<(tables: [String: [String: Counters]], redisErrors: Int)>(([:], 0))

    public init() {}

    public func record(_ event: Event, table: String, operation: String) {
        state.withLockedValue { state in
            var c = state.tables[table, default: [:]][operation, default: Counters()]
            switch event {
            case .hit(let bytes):
                c.hits += 1
                c.bytes += bytes
                c.readUnitsSaved += Self.readUnits(bytes)
            case .stale(let bytes):
                c.staleHits += 1
                c.bytes += bytes
                c.readUnitsSaved += Self.readUnits(bytes)
            case .negative:
                c.negativeHits += 1
                c.readUnitsSaved += 0.5
            case .miss: c.misses += 1
            case .bypass: c.bypass += 1
            case .upstreamCall: c.upstreamCalls += 1
            case .fillDropped: c.fillsDropped += 1
            case .sharedFill: c.sharedFills += 1
            }
            state.tables[table, default: [:]][operation] = c
        }
    }

    static func readUnits(_ bytes: Int) -> Double { Double(max(1, (bytes + 4095) / 4096)) / 2 }

    /// The most requested keys per table, with their hit ratios (a space-saving sketch each).
    let hotKeys = NIOLockedValueBox<[String: SpaceSaving]>([:])
    static let hotKeyCounters = 64

    func observe(table: String, key: String, hit: Bool) {
        hotKeys.withLockedValue { sketches in
            sketches[table, default: SpaceSaving(capacity: Self.hotKeyCounters)].observe(key, hit: hit)
        }
    }

    /// `{table: [{key, requests (upper bound), overcount, hitRatio}]}`, top `n` each.
    public func hotKeysJSON(top n: Int = 10) -> JSONValue {
        let sketches = hotKeys.withLockedValue { $0 }
        var out: [String: JSONValue] = [:]
        for (table, sketch) in sketches {
            out[table] = .array(
                sketch.top(n).map { c in
                    let ratio = c.requests == 0 ? 0 : Double(c.hits) / Double(c.requests)
                    return .object([
                        "key": .string(c.key), "requests": .number(String(c.count)),
                        "overcount": .number(String(c.error)),
                        "hitRatio": .number(String(Double(Int(ratio * 10_000)) / 10_000)),
                    ])
                })
        }
        return .object(out)
    }

    /// Read units saved per table (all operations).
    public func readUnitsSaved() -> [String: Double] {
        state.withLockedValue { state in
            state.tables.mapValues { ops in ops.values.reduce(0) { $0 + $1.readUnitsSaved } }
        }
    }

    public func recordRedisError() { state.withLockedValue { $0.redisErrors += 1 } }

    public func counters(table: String, operation: String) -> Counters {
        state.withLockedValue { $0.tables[table]?[operation] ?? Counters() }
    }

    /// `{"totals": {...}, "tables": {T: {GetItem: {...}}}, "redis": {...}}`.
    public func json(redisConnected: Bool) -> JSONValue {
        state.withLockedValue { state in
            var total = Counters()
            var tables: [String: JSONValue] = [:]
            for (table, operations) in state.tables {
                var ops: [String: JSONValue] = [:]
                for (operation, c) in operations {
                    total.hits += c.hits
                    total.staleHits += c.staleHits
                    total.negativeHits += c.negativeHits
                    total.misses += c.misses
                    total.bypass += c.bypass
                    total.upstreamCalls += c.upstreamCalls
                    total.fillsDropped += c.fillsDropped
                    total.sharedFills += c.sharedFills
                    total.bytes += c.bytes
                    total.readUnitsSaved += c.readUnitsSaved
                    ops[operation] = Self.json(c)
                }
                tables[table] = .object(ops)
            }
            return .object([
                "totals": Self.json(total),
                "tables": .object(tables),
                "redis": .object([
                    "connected": .bool(redisConnected),
                    "errors": .number(String(state.redisErrors)),
                ]),
            ])
        }
    }

    static func json(_ c: Counters) -> JSONValue {
        let served = c.hits + c.staleHits + c.negativeHits
        let lookups = served + c.misses
        let ratio = lookups == 0 ? 0 : Double(served) / Double(lookups)
        let ratioText = String(Double(Int(ratio * 10_000)) / 10_000)
        return .object([
            "hits": .number(String(served)),
            "freshHits": .number(String(c.hits)),
            "staleHits": .number(String(c.staleHits)),
            "negativeHits": .number(String(c.negativeHits)),
            "misses": .number(String(c.misses)),
            "bypass": .number(String(c.bypass)),
            "upstreamCalls": .number(String(c.upstreamCalls)),
            "fillsDropped": .number(String(c.fillsDropped)),
            "sharedFills": .number(String(c.sharedFills)),
            "bytes": .number(String(c.bytes)),
            "readUnitsSaved": .number(String(c.readUnitsSaved)),
            "hitRatio": .number(ratioText),
        ])
    }
}
