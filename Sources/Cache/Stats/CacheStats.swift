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
        public var bytes = 0
    }

    public enum Event: Sendable {
        case hit(bytes: Int)
        case stale(bytes: Int)
        case negative
        case miss
        case bypass
        case upstreamCall
        case fillDropped
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
            case .stale(let bytes):
                c.staleHits += 1
                c.bytes += bytes
            case .negative: c.negativeHits += 1
            case .miss: c.misses += 1
            case .bypass: c.bypass += 1
            case .upstreamCall: c.upstreamCalls += 1
            case .fillDropped: c.fillsDropped += 1
            }
            state.tables[table, default: [:]][operation] = c
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
                    total.bytes += c.bytes
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
            "bytes": .number(String(c.bytes)),
            "hitRatio": .number(ratioText),
        ])
    }
}
