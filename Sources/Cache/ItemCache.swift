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

/// The item cache: GetItem answers in Redis under per-table stale-time policies, kept correct
/// against concurrent writes (DESIGN.md, "Rules that keep the cache correct"):
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
    let state = NIOLockedValueBox(State())
    /// A lease older than this belongs to a filler that died.
    let leaseTimeoutMilliseconds: Int64 = 5_000

    struct Flight {
        var sequence: UInt64
        var task: Task<UpstreamAnswer, any Error>
    }

    struct State {
        var sequence: UInt64 = 0
        /// The sequence number of each item hash's last invalidation (bounded; see `floor`).
        var invalidatedAt: [[UInt8]: UInt64] = [:]
        /// Flights started before this may not be joined by anyone.
        var floor: UInt64 = 0
        var flights: [ItemCacheKey: Flight] = [:]
        var refreshing: Set<ItemCacheKey> = []
        /// Item hashes whose invalidation Redis has not taken yet.
        var pending: [[UInt8]] = []
        /// Redis holds nothing this proxy can trust (a restart, or too many lost deletes) until
        /// the namespace is flushed.
        var untrusted = false
        var lastRunID: String?
    }

    public init(
        redis: RedisClient?, namespace: String, policies: CachePolicies, clock: any CacheClock = SystemCacheClock(),
        stats: CacheStats = CacheStats()
    ) {
        self.redis = redis
        self.namespace = namespace
        self.policies = policies
        self.clock = clock
        self.stats = stats
    }

    // MARK: Reads

    /// Answers a GetItem, from Redis when the policy allows, else through `fetch`, whose
    /// argument says whether the read must be strongly consistent.
    public func getItem(
        request: JSONValue,
        fetch: @escaping @Sendable (_ consistent: Bool) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        let decision = GetItemCacheability.decide(request)
        guard case .cacheable(let table, let keyItem, let projection) = decision else {
            let table = request["TableName"]?.stringValue ?? "-"
            stats.record(.bypass, table: table, operation: "GetItem")
            stats.record(.upstreamCall, table: table, operation: "GetItem")
            return (try await fetch(false), .bypass)
        }
        let policy = policies.policy(for: table)
        guard policy.enabled, let redis, await redisReadable() else {
            stats.record(.bypass, table: table, operation: "GetItem")
            stats.record(.upstreamCall, table: table, operation: "GetItem")
            return (try await fetch(false), .bypass)
        }
        let key = ItemCacheKey(
            namespace: namespace, table: table, key: CanonicalBytes(key: keyItem), projection: projection)
        let now = clock.nowMilliseconds()

        var cached: CacheEnvelope?
        do {
            let reply = try await redis.send([Array("HGET".utf8), key.redisKey, key.field]).get()
            cached = reply.bytes.flatMap { CacheEnvelope(bytes: $0) }
        } catch {
            stats.recordRedisError()
            stats.record(.bypass, table: table, operation: "GetItem")
            stats.record(.upstreamCall, table: table, operation: "GetItem")
            return (try await fetch(false), .bypass)
        }
        if let entry = cached {
            switch policy.freshness(of: entry, now: now) {
            case .negative:
                stats.record(.negative, table: table, operation: "GetItem")
                return (Self.answer(entry.body), .negative)
            case .fresh:
                stats.record(.hit(bytes: entry.body.count), table: table, operation: "GetItem")
                return (Self.answer(entry.body), .hit)
            case .revalidate:
                stats.record(.stale(bytes: entry.body.count), table: table, operation: "GetItem")
                refreshInBackground(key, fetch: fetch)
                return (Self.answer(entry.body), .stale)
            case .expired:
                break
            }
        }
        stats.record(.miss, table: table, operation: "GetItem")
        do {
            let answer = try await fill(key, fetch: fetch)
            if Self.isFailure(answer), let stale = Self.staleIfError(cached, policy: policy, now: now) {
                stats.record(.stale(bytes: stale.body.count), table: table, operation: "GetItem")
                return (Self.answer(stale.body), .stale)
            }
            return (answer, .miss)
        } catch {
            if let stale = Self.staleIfError(cached, policy: policy, now: now) {
                stats.record(.stale(bytes: stale.body.count), table: table, operation: "GetItem")
                return (Self.answer(stale.body), .stale)
            }
            throw error
        }
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

    /// One upstream read per key at a time (per proxy), stored under a lease.
    func fill(_ key: ItemCacheKey, fetch: @escaping @Sendable (Bool) async throws -> UpstreamAnswer) async throws
        -> UpstreamAnswer
    {
        let (task, joined): (Task<UpstreamAnswer, any Error>, Bool) = state.withLockedValue { state in
            let lastInvalidation = max(state.invalidatedAt[key.redisKey] ?? 0, state.floor)
            if let flight = state.flights[key], flight.sequence >= lastInvalidation {
                return (flight.task, true)
            }
            state.sequence += 1
            let sequence = state.sequence
            let task = Task { try await self.leaseAndFetch(key, fetch: fetch) }
            state.flights[key] = Flight(sequence: sequence, task: task)
            return (task, false)
        }
        defer {
            if !joined {
                state.withLockedValue { state in
                    if state.flights[key]?.task == task { state.flights[key] = nil }
                }
            }
        }
        return try await task.value
    }

    func leaseAndFetch(_ key: ItemCacheKey, fetch: @Sendable (Bool) async throws -> UpstreamAnswer) async throws
        -> UpstreamAnswer
    {
        let policy = policies.policy(for: key.table)
        let now = clock.nowMilliseconds()
        let token = "\(now):\(RequestID.make().prefix(16))"
        var leased = false
        var consistent = false
        if let redis {
            do {
                let reply = try await redis.eval(
                    ItemCacheScripts.readOrLease,
                    keys: [key.redisKey],
                    arguments: [
                        key.field, Array(token.utf8), Array(String(now).utf8),
                        Array(String(leaseTimeoutMilliseconds).utf8), Array(String(policy.outerTTL).utf8),
                    ]
                )
                let parts = reply.array ?? []
                leased = parts.count > 1 && parts[1] == .integer(1)
                if parts.count > 2, let until = parts[2].string.flatMap({ Int64($0) }), until > now {
                    consistent = true
                }
            } catch {
                stats.recordRedisError()
            }
        }
        stats.record(.upstreamCall, table: key.table, operation: "GetItem")
        let answer = try await fetch(consistent)
        guard answer.status == 200, leased, let redis else { return answer }
        let present = Self.hasItem(answer.body)
        let envelope = CacheEnvelope(storedAtMilliseconds: clock.nowMilliseconds(), present: present, body: answer.body)
        do {
            let stored = try await redis.eval(
                ItemCacheScripts.fill,
                keys: [key.redisKey],
                arguments: [key.field, Array(token.utf8), envelope.bytes, Array(String(policy.outerTTL).utf8)]
            )
            if stored != .integer(1) { stats.record(.fillDropped, table: key.table, operation: "GetItem") }
        } catch {
            stats.recordRedisError()
        }
        return answer
    }

    /// Stale-while-revalidate: at most one background refresh per key at a time.
    func refreshInBackground(_ key: ItemCacheKey, fetch: @escaping @Sendable (Bool) async throws -> UpstreamAnswer) {
        let start = state.withLockedValue { $0.refreshing.insert(key).inserted }
        guard start else { return }
        Task {
            _ = try? await self.fill(key, fetch: fetch)
            _ = self.state.withLockedValue { $0.refreshing.remove(key) }
        }
    }

    static func hasItem(_ body: [UInt8]) -> Bool {
        guard let json = try? JSONParser.parse(body) else { return false }
        return json["Item"] != nil
    }

    /// The hit path without leaving the event loop: when the request is cacheable, Redis has a
    /// connection on `eventLoop` and nothing is pending, one HGET answers fresh and negative hits
    /// (counted here). Nil, or a future of nil, means "take the full path".
    public func freshHit(request: JSONValue, on eventLoop: any EventLoop) -> EventLoopFuture<
        (body: [UInt8], status: CacheStatus)?
    >? {
        guard case .cacheable(let table, let keyItem, let projection) = GetItemCacheability.decide(request) else {
            return nil
        }
        let policy = policies.policy(for: table)
        guard policy.enabled, let redis, let connection = redis.connection(preferring: eventLoop),
            connection.eventLoop === eventLoop,
            state.withLockedValue({ !$0.untrusted && $0.pending.isEmpty })
        else { return nil }
        let key = ItemCacheKey(
            namespace: namespace, table: table, key: CanonicalBytes(key: keyItem), projection: projection)
        let now = clock.nowMilliseconds()
        let stats = self.stats
        return connection.send([Array("HGET".utf8), key.redisKey, key.field]).map {
            reply -> (body: [UInt8], status: CacheStatus)? in
            guard let entry = reply.bytes.flatMap({ CacheEnvelope(bytes: $0) }) else { return nil }
            switch policy.freshness(of: entry, now: now) {
            case .negative:
                stats.record(.negative, table: table, operation: "GetItem")
                return (entry.body, .negative)
            case .fresh:
                stats.record(.hit(bytes: entry.body.count), table: table, operation: "GetItem")
                return (entry.body, .hit)
            case .revalidate, .expired:
                return nil
            }
        }.recover { _ in nil }
    }

    // MARK: Invalidation

    /// Deletes the entries of these items (every projection variant) and leaves tombstones;
    /// call it after the table store acknowledged the write, or failed with an unknown outcome,
    /// and before answering the client.
    public func invalidate(table: String, keys: [Item]) async {
        let hashes = keys.map {
            ItemCacheKey.itemHash(namespace: namespace, table: table, key: CanonicalBytes(key: $0))
        }
        guard !hashes.isEmpty else { return }
        state.withLockedValue { state in
            state.sequence += 1
            for hash in hashes { state.invalidatedAt[hash] = state.sequence }
            if state.invalidatedAt.count > 100_000 {
                state.invalidatedAt.removeAll()
                state.floor = state.sequence
            }
        }
        guard let redis else { return }
        let policy = policies.policy(for: table)
        do {
            _ = try await runInvalidation(redis, hashes, tombstone: policy.tombstone)
        } catch {
            stats.recordRedisError()
            state.withLockedValue { state in
                state.pending.append(contentsOf: hashes)
                if state.pending.count > 100_000 {
                    state.pending.removeAll()
                    state.untrusted = true
                }
            }
        }
    }

    func runInvalidation(_ redis: RedisClient, _ hashes: [[UInt8]], tombstone: Int64) async throws -> RedisValue {
        let until = clock.nowMilliseconds() + tombstone
        let reply = try await redis.eval(
            ItemCacheScripts.invalidate,
            keys: hashes,
            arguments: [Array(String(until).utf8), Array(String(max(tombstone, 1)).utf8)]
        )
        if case .error(let message) = reply { throw RedisClientError.server(message) }
        return reply
    }

    /// Drops every entry of this namespace (or of one table): after DeleteTable, a reset of an
    /// emulator, a PartiQL write, or a Redis that cannot be trusted.
    public func invalidateAll(table: String? = nil) async {
        state.withLockedValue { state in
            state.sequence += 1
            state.floor = state.sequence
            state.invalidatedAt.removeAll()
        }
        guard let redis else { return }
        do {
            try await flush(redis, table: table)
        } catch {
            stats.recordRedisError()
            state.withLockedValue { $0.untrusted = true }
        }
    }

    func flush(_ redis: RedisClient, table: String?) async throws {
        let pattern = table.map { "dc:\(namespace):i:\($0):*" } ?? "dc:\(namespace):*"
        var cursor = "0"
        repeat {
            let reply = try await redis.send(["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array
            else {
                throw RedisClientError.protocolError("unexpected SCAN reply")
            }
            let names = keys.compactMap(\.bytes)
            if !names.isEmpty { _ = try await redis.send(bytes: [Array("DEL".utf8)] + names) }
            cursor = next
        } while cursor != "0"
    }

    /// Called on every (re)connection to Redis: a new run id means a restart or failover, and
    /// nothing stored before can be trusted; the same run id means lost invalidations can be
    /// replayed.
    public func redisConnected(runID: String) {
        state.withLockedValue { state in
            if let last = state.lastRunID, last != runID { state.untrusted = true }
            state.lastRunID = runID
        }
    }

    /// Whether Redis may be read now: lost invalidations replayed, an untrusted Redis flushed.
    func redisReadable() async -> Bool {
        guard let redis, redis.isConnected else { return false }
        let (untrusted, pending) = state.withLockedValue { ($0.untrusted, $0.pending) }
        if untrusted {
            do {
                try await flush(redis, table: nil)
                state.withLockedValue { state in
                    state.untrusted = false
                    state.pending.removeAll()
                }
            } catch {
                stats.recordRedisError()
                return false
            }
            return true
        }
        if !pending.isEmpty {
            do {
                _ = try await runInvalidation(redis, pending, tombstone: policies.defaultPolicy.tombstone)
                state.withLockedValue { state in state.pending.removeFirst(min(pending.count, state.pending.count)) }
            } catch {
                stats.recordRedisError()
                return false
            }
        }
        return true
    }

    public var redisConnected: Bool { redis?.isConnected ?? false }
}
