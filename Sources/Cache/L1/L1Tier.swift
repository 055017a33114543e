import NIOConcurrencyHelpers

/// The in-process tier in front of Redis: the hottest fresh answers, served without a network
/// round trip.
///
/// Why it can be trusted: an entry is served only while it is fresh by its table's policy and no
/// older than `ttl` here; the proxy's own writes drop entries before the client is answered; every
/// other proxy's invalidations arrive over Redis pub/sub; and while the subscription is down the
/// tier serves nothing and is emptied when it comes back, because messages may have been lost.
/// Pub/sub delivery is asynchronous, so a write through another proxy can be missed here for the
/// time its message takes to arrive (bounded by `ttl` if it is lost).
public final class L1Tier: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var maxBytes: Int
        /// Longest any entry is served from this tier (also never past the table's staleTime).
        public var ttlMilliseconds: Int64

        public init(maxBytes: Int = 64 << 20, ttlMilliseconds: Int64 = 1_000) {
            self.maxBytes = maxBytes
            self.ttlMilliseconds = ttlMilliseconds
        }
    }

    public struct Counters: Sendable, Equatable {
        public var hits = 0
        public var inserts = 0
        public var refusedInserts = 0
        public var flushes = 0
        public var messages = 0
    }

    public let configuration: Configuration
    let state: NIOLockedValueBox<(store: L1Store, usable: Bool, counters: Counters)>

    /// `usable` starts false when coherence depends on a subscription that is not up yet.
    public init(configuration: Configuration, usable: Bool = false) {
        self.configuration = configuration
        self.state = NIOLockedValueBox((L1Store(maxBytes: configuration.maxBytes), usable, Counters()))
    }

    /// A fresh entry, or nil. `policy` decides freshness; `now` is the cache clock.
    func lookup(_ key: CacheEntryKey, policy: CachePolicy, now: Int64) -> CacheEnvelope? {
        let notBefore = now - min(configuration.ttlMilliseconds, policy.staleTime)
        return state.withLockedValue { state in
            guard state.usable,
                let entry = state.store.lookup(L1Store.Key(group: key.redisKey, field: key.field), notBefore: notBefore)
            else { return nil }
            switch policy.freshness(of: entry.envelope, now: now) {
            case .fresh, .negative:
                state.counters.hits += 1
                return entry.envelope
            case .revalidate, .expired:
                return nil
            }
        }
    }

    /// The generation to hand back to `insert` for a read starting now.
    func generation() -> UInt64 { state.withLockedValue { $0.store.generation } }

    func insert(_ key: CacheEntryKey, envelope: CacheEnvelope, now: Int64, readGeneration: UInt64) {
        state.withLockedValue { state in
            guard state.usable else { return }
            let stored = state.store.insert(
                L1Store.Key(group: key.redisKey, field: key.field), table: key.table, registry: key.registry,
                envelope: envelope, now: now, readGeneration: readGeneration)
            if stored { state.counters.inserts += 1 } else { state.counters.refusedInserts += 1 }
        }
    }

    func invalidate(groups: [[UInt8]], registries: [[UInt8]]) {
        state.withLockedValue { $0.store.invalidate(groups: groups, registries: registries) }
    }

    func invalidate(table: String?) {
        state.withLockedValue { state in
            if let table { state.store.invalidate(table: table) } else { state.store.flush() }
        }
    }

    /// The subscription came up (flush: messages may have been lost) or went down (serve nothing).
    public func subscriptionChanged(subscribed: Bool) {
        state.withLockedValue { state in
            state.store.flush()
            state.usable = subscribed
            state.counters.flushes += 1
        }
    }

    /// An invalidation message from any proxy (this one included): lines of `g <group>`,
    /// `r <registry>`, `t <table>` or `*`.
    public func receive(_ payload: [UInt8]) {
        var groups: [[UInt8]] = []
        var registries: [[UInt8]] = []
        var tables: [String] = []
        var everything = false
        for line in payload.split(separator: UInt8(ascii: "\n")) where line.count >= 1 {
            let body = Array(line.dropFirst(2))
            switch line.first {
            case UInt8(ascii: "g"): groups.append(body)
            case UInt8(ascii: "r"): registries.append(body)
            case UInt8(ascii: "t"): tables.append(String(decoding: body, as: UTF8.self))
            case UInt8(ascii: "*"): everything = true
            default: continue
            }
        }
        state.withLockedValue { state in
            state.counters.messages += 1
            if everything {
                state.store.flush()
                return
            }
            for table in tables { state.store.invalidate(table: table) }
            if !groups.isEmpty || !registries.isEmpty {
                state.store.invalidate(groups: groups, registries: registries)
            }
        }
    }

    /// The message that makes every other proxy drop what this one just invalidated.
    static func message(groups: [[UInt8]], registries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for group in groups { out += Array("g ".utf8) + group + [UInt8(ascii: "\n")] }
        for registry in registries { out += Array("r ".utf8) + registry + [UInt8(ascii: "\n")] }
        return out
    }

    public var counters: Counters { state.withLockedValue { $0.counters } }
    public var bytes: Int { state.withLockedValue { $0.store.usedBytes } }
    public var entries: Int { state.withLockedValue { $0.store.count } }
    public var evictions: Int { state.withLockedValue { $0.store.evictions } }
    public var isUsable: Bool { state.withLockedValue { $0.usable } }
}
