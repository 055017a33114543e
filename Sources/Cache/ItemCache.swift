import DynamoModel
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Redis

/// Milliseconds on the wall clock, injected so policy windows can be tested without waiting.
public protocol CacheClock: Sendable {
    func nowMilliseconds() -> Int64
}

public struct SystemCacheClock: CacheClock {
    public init() {}
    public func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A table store's answer, as the cache sees it.
public struct UpstreamAnswer: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What `x-dynacache-cache` says about an answer.
public enum CacheStatus: String, Sendable {
    case hit, stale, negative, miss, bypass
}

/// The read cache: GetItem, Query and Scan answers in Redis (and the hottest in the in-process
/// L1 tier) under per-table stale-time policies, kept correct against concurrent writes (DESIGN.md, "Rules that keep the cache correct"):
/// 1. a miss takes a lease before asking the table store; an invalidation deletes the entry with
///    its lease, so a late fill writes nothing; a crashed filler's lease expires;
/// 2. an invalidation leaves a tombstone; a fill inside it reads with ConsistentRead;
/// 3. concurrent misses share one upstream call, joined only if it started after the key's
///    last invalidation;
/// 4. invalidations Redis could not take are replayed before Redis is read again, and a Redis
///    with a new run id is emptied of this namespace before it is trusted;
/// 5. writes with an unknown outcome invalidate as if they succeeded (the caller's part).
/// Redis being down makes the cache bypass itself, never fail a request.
public final class ItemCache: Sendable {
    public let namespace: String
    let redis: RedisClient?
    let policies: CachePolicies
    let clock: any CacheClock
    public let stats: CacheStats
    /// The in-process tier; nil when off.
    public let l1: L1Tier?
    let state = NIOLockedValueBox(State())
    /// A lease older than this belongs to a filler that died.
    let leaseTimeoutMilliseconds: Int64 = 5_000

    struct Flight {
        var sequence: UInt64
        var task: Task<UpstreamAnswer, any Error>
    }

    struct State {
        var sequence: UInt64 = 0
        /// The sequence number of each group's (or registry's) last invalidation (bounded; see `floor`).
        var invalidatedAt: [[UInt8]: UInt64] = [:]
        /// Flights started before this may not be joined by anyone.
        var floor: UInt64 = 0
        var flights: [CacheEntryKey: Flight] = [:]
        var refreshing: Set<CacheEntryKey> = []
        /// Groups and registries whose invalidation Redis has not taken yet.
        var pending = PendingInvalidations()
        /// Redis holds nothing this proxy can trust (a restart, or too many lost deletes) until
        /// the namespace is flushed.
        var untrusted = false
        var lastRunID: String?
        /// Until when each table is inside the tombstone of this proxy's latest invalidation of
        /// it (bounded: cleared past 10,000 tables).
        var recentlyInvalidated: [String: Int64] = [:]
    }

    public init(
        redis: RedisClient?, namespace: String, policies: CachePolicies, clock: any CacheClock = SystemCacheClock(),
        stats: CacheStats = CacheStats(), l1: L1Tier? = nil
    ) {
        self.l1 = l1
        self.redis = redis
        self.namespace = namespace
        self.policies = policies
        self.clock = clock
        self.stats = stats
    }

    // MARK: Reads

    /// Answers a GetItem, from L1 or Redis when the policy allows, else through `fetch`, whose
    /// argument says whether the read must be strongly consistent.
    public func getItem(
        request: JSONValue,
        fetch: @escaping @Sendable (_ consistent: Bool) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        guard case .cacheable(let table, let keyItem, let projection) = GetItemCacheability.decide(request) else {
            let table = request["TableName"]?.stringValue.map(TableReference.name) ?? "-"
            return try await bypass(table: table, operation: "GetItem", fetch)
        }
        let key = CacheEntryKey(
            namespace: namespace, table: table, keyItem: keyItem, projection: projection)
        return try await cachedRead(key, fetch: fetch)
    }

    /// A read the cache does not answer. Inside the tombstone of this proxy's latest
    /// invalidation of the table it reads consistently where it can (not an index), as a fill
    /// would: an eventually consistent read could return what the write replaced.
    func bypass(
        table: String, operation: String, consistentPossible: Bool = true,
        _ fetch: @Sendable (_ consistent: Bool) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        stats.record(.bypass, table: table, operation: operation)
        stats.record(.upstreamCall, table: table, operation: operation)
        return (try await fetch(consistentPossible && insideTombstone(table)), .bypass)
    }

    /// Whether this proxy invalidated something of `table` within the table's tombstone.
    func insideTombstone(_ table: String) -> Bool {
        let now = clock.nowMilliseconds()
        return state.withLockedValue { ($0.recentlyInvalidated[table] ?? 0) > now }
    }

    /// The read path every cached operation shares: L1, then Redis, then one leased upstream
    /// read per key, with stale-while-revalidate and stale-if-error.
    func cachedRead(
        _ key: CacheEntryKey, fetch: @escaping @Sendable (_ consistent: Bool) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        let (table, operation) = (key.table, key.operation)
        let policy = policies.policy(for: table)
        let now = clock.nowMilliseconds()
        if policy.enabled, let hit = l1?.lookup(key, policy: policy, now: now) {
            return served(hit, policy: policy, now: now, key: key)
        }
        guard policy.enabled, let redis, await redisReadable() else {
            return try await bypass(
                table: table, operation: operation, consistentPossible: key.consistentFillPossible, fetch)
        }
        let generation = l1?.generation() ?? 0
        var cached: CacheEnvelope?
        do {
            guard let connection = redis.connection() else { throw RedisClientError.notConnected }
            cached = try await Self.current(key, on: connection).get()
        } catch {
            stats.recordRedisError()
            return try await bypass(
                table: table, operation: operation, consistentPossible: key.consistentFillPossible, fetch)
        }
        if let entry = cached {
            switch policy.freshness(of: entry, now: now) {
            case .negative, .fresh:
                l1?.insert(key, envelope: entry, now: now, readGeneration: generation)
                return served(entry, policy: policy, now: now, key: key)
            case .revalidate:
                stats.record(.stale(bytes: entry.body.count), table: table, operation: operation)
                refreshInBackground(key, fetch: fetch)
                return (Self.answer(entry.body), .stale)
            case .expired:
                break
            }
        }
        stats.record(.miss, table: table, operation: operation)
        if let display = key.display { stats.observe(table: table, key: display, hit: false) }
        do {
            let answer = try await fill(key, fetch: fetch)
            if Self.isFailure(answer), let stale = Self.staleIfError(cached, policy: policy, now: now) {
                stats.record(.stale(bytes: stale.body.count), table: table, operation: operation)
                return (Self.answer(stale.body), .stale)
            }
            return (answer, .miss)
        } catch {
            if let stale = Self.staleIfError(cached, policy: policy, now: now) {
                stats.record(.stale(bytes: stale.body.count), table: table, operation: operation)
                return (Self.answer(stale.body), .stale)
            }
            throw error
        }
    }

    /// A fresh or negative entry, counted and answered.
    func served(_ entry: CacheEnvelope, policy: CachePolicy, now: Int64, key: CacheEntryKey) -> (
        UpstreamAnswer, CacheStatus
    ) {
        if let display = key.display { stats.observe(table: key.table, key: display, hit: true) }
        if !entry.present {
            stats.record(.negative, table: key.table, operation: key.operation)
            return (Self.answer(entry.body), .negative)
        }
        stats.record(.hit(bytes: entry.body.count), table: key.table, operation: key.operation)
        return (Self.answer(entry.body), .hit)
    }

    static func staleIfError(_ entry: CacheEnvelope?, policy: CachePolicy, now: Int64) -> CacheEnvelope? {
        guard let entry, entry.present, now - entry.storedAtMilliseconds <= policy.staleTime + policy.staleIfError
        else {
            return nil
        }
        return entry
    }

    /// Throttled past the retry deadline, or a 5xx: the kinds of failure stale-if-error covers.
    static func isFailure(_ answer: UpstreamAnswer) -> Bool {
        if answer.status >= 500 { return true }
        guard answer.status == 400 else { return false }
        let text = String(decoding: answer.body.prefix(200), as: UTF8.self)
        return text.contains("ProvisionedThroughputExceeded") || text.contains("ThrottlingException")
            || text.contains("RequestLimitExceeded")
    }

    static func answer(_ body: [UInt8]) -> UpstreamAnswer {
        UpstreamAnswer(status: 200, headers: [("content-type", "application/x-amz-json-1.0")], body: body)
    }

    public var redisConnected: Bool { redis?.isConnected ?? false }

    /// The entry of `key` if its generations are current, read in one round trip (the entry and
    /// its table's generations pipelined on one connection). Nil: missing, or filled under an
    /// older generation (dead).
    static func current(_ key: CacheEntryKey, on connection: RedisConnection) -> EventLoopFuture<CacheEnvelope?> {
        let entry = connection.send([Array("HGET".utf8), key.redisKey, key.field])
        let generations = connection.send(
            [Array("HMGET".utf8), key.generations] + GenerationStamp.fields(index: key.index))
        return entry.and(generations).map { entry, generations in
            guard let envelope = entry.bytes.flatMap({ CacheEnvelope(bytes: $0) }),
                let stamp = GenerationStamp.stamp(generations), envelope.stamp == stamp
            else { return nil }
            return envelope
        }
    }
}
