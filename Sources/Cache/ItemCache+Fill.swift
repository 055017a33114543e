import DynamoModel
import Redis

extension ItemCache {
    /// One upstream read per key at a time (per proxy), stored under a lease.
    func fill(_ key: CacheEntryKey, fetch: @escaping @Sendable (Bool) async throws -> UpstreamAnswer) async throws
        -> UpstreamAnswer
    {
        let (task, joined): (Task<UpstreamAnswer, any Error>, Bool) = state.withLockedValue { state in
            let lastInvalidation = max(
                state.invalidatedAt[key.redisKey] ?? 0, key.registry.flatMap { state.invalidatedAt[$0] } ?? 0,
                state.floor)
            if let flight = state.flights[key], flight.sequence >= lastInvalidation {
                return (flight.task, true)
            }
            state.sequence += 1
            let sequence = state.sequence
            let task = Task { try await self.leaseAndFetch(key, fetch: fetch) }
            state.flights[key] = Flight(sequence: sequence, task: task)
            return (task, false)
        }
        if joined { stats.record(.sharedFill, table: key.table, operation: key.operation) }
        defer {
            if !joined {
                state.withLockedValue { state in
                    if state.flights[key]?.task == task { state.flights[key] = nil }
                }
            }
        }
        return try await task.value
    }

    /// Takes the lease, reads (consistently inside a tombstone of the entry or of its table's or
    /// index's generation, where the read can be), and stores the answer, stamped with the
    /// generations read before the lease, if the lease survived.
    func leaseAndFetch(_ key: CacheEntryKey, fetch: @Sendable (Bool) async throws -> UpstreamAnswer) async throws
        -> UpstreamAnswer
    {
        let policy = policies.policy(for: key.table)
        let now = clock.nowMilliseconds()
        let generation = l1?.generation() ?? 0
        let token = "\(now):\(RequestID.make().prefix(16))"
        var leased = false
        var consistent = false
        var stamp: [UInt8] = []
        if let redis, let current = await generations(key.generations, index: key.index, redis: redis) {
            stamp = current.stamp
            let insideGenerationTombstone = current.tombstoneUntil > now
            if insideGenerationTombstone && !key.consistentFillPossible {
                // An index read right after a whole-index invalidation may predate it: read, never keep.
            } else {
                do {
                    let reply = try await redis.eval(
                        ItemCacheScripts.readOrLease,
                        keys: [key.redisKey],
                        arguments: [
                            key.field, Array(token.utf8), Array(String(now).utf8),
                            Array(String(leaseTimeoutMilliseconds).utf8), Array(String(policy.outerTTL).utf8),
                            key.consistentFillPossible ? [] : Array("1".utf8),
                        ]
                    )
                    let parts = reply.array ?? []
                    leased = parts.count > 1 && parts[1] == .integer(1)
                    let entryTomb = parts.count > 2 ? parts[2].string.flatMap { Int64($0) } ?? 0 : 0
                    // Inside a tombstone an eventually consistent read may predate the write.
                    consistent = key.consistentFillPossible && (insideGenerationTombstone || entryTomb > now)
                } catch {
                    stats.recordRedisError()
                }
            }
        }
        stats.record(.upstreamCall, table: key.table, operation: key.operation)
        let answer = try await fetch(consistent)
        guard answer.status == 200, leased, let redis else { return answer }
        let envelope = CacheEnvelope(
            storedAtMilliseconds: clock.nowMilliseconds(), present: Self.isPresent(answer.body, key.operation),
            stamp: stamp, body: answer.body)
        do {
            let stored = try await redis.eval(
                ItemCacheScripts.fill,
                keys: [key.redisKey],
                arguments: [key.field, Array(token.utf8), envelope.bytes, Array(String(policy.outerTTL).utf8)]
            )
            if stored == .integer(1) {
                l1?.insert(key, envelope: envelope, now: envelope.storedAtMilliseconds, readGeneration: generation)
            } else {
                stats.record(.fillDropped, table: key.table, operation: key.operation)
            }
        } catch {
            stats.recordRedisError()
        }
        return answer
    }

    /// A table's (and an index's) current generations, made when missing: the stamp a fill
    /// stores, and the latest of their tombstones. Nil when Redis did not answer.
    func generations(_ name: [UInt8], index: String?, redis: RedisClient) async -> (
        stamp: [UInt8], tombstoneUntil: Int64
    )? {
        do {
            let reply = try await redis.eval(
                ItemCacheScripts.generations, keys: [name],
                arguments: [GenerationStamp.newToken()] + GenerationStamp.fields(index: index))
            guard let parts = reply.array, parts.count >= 2, parts.count % 2 == 0 else {
                throw RedisClientError.protocolError("unexpected generations reply")
            }
            let tokens = stride(from: 0, to: parts.count, by: 2).map { parts[$0] }
            guard let stamp = GenerationStamp.stamp(.array(tokens)) else {
                throw RedisClientError.protocolError("generations without a token")
            }
            let until = stride(from: 1, to: parts.count, by: 2).compactMap { parts[$0].string.flatMap { Int64($0) } }
            return (stamp, until.max() ?? 0)
        } catch {
            stats.recordRedisError()
            return nil
        }
    }

    /// Stale-while-revalidate: at most one background refresh per key at a time.
    func refreshInBackground(_ key: CacheEntryKey, fetch: @escaping @Sendable (Bool) async throws -> UpstreamAnswer) {
        let start = state.withLockedValue { $0.refreshing.insert(key).inserted }
        guard start else { return }
        Task {
            _ = try? await self.fill(key, fetch: fetch)
            _ = self.state.withLockedValue { $0.refreshing.remove(key) }
        }
    }

    /// Whether an answer holds data: an item for GetItem; any item for Query and Scan. An
    /// answer without is remembered for the negative TTL only.
    static func isPresent(_ body: [UInt8], _ operation: String) -> Bool {
        guard let json = try? JSONParser.parse(body) else { return false }
        if operation == "GetItem" { return json["Item"] != nil }
        return !(json["Items"]?.arrayValue?.isEmpty ?? true) || json["Count"].map { $0 != .number("0") } ?? false
    }
}
