import DynamoModel
import Redis

/// One item a write touched: its key, and its images before and after where the writer knows
/// them (nil: unknown, so every GSI's query groups must go).
public struct WrittenItem: Sendable {
    public var key: Item
    public var images: [Item]?

    public init(key: Item, images: [Item]?) {
        self.key = key
        self.images = images
    }
}

/// Invalidations Redis has not taken yet (it was down), replayed before it is read again.
struct PendingInvalidations {
    var groups: [[UInt8]] = []
    var registries: [[UInt8]] = []
    var isEmpty: Bool { groups.isEmpty && registries.isEmpty }
    var count: Int { groups.count + registries.count }
}

extension ItemCache {
    /// The pub/sub channel on which every proxy of this namespace announces its invalidations.
    public var invalidationChannel: String { "dc:\(namespace):inv" }

    /// Deletes everything these writes can have made stale, and leaves tombstones: each item's
    /// hash, its base partition's query group and its LSI groups, the GSI groups its images name
    /// (every group of a GSI when they are unknown), and the table's scan group. Call it after
    /// the table store acknowledged the write, or failed with an unknown outcome, and before
    /// answering the client.
    public func invalidate(table: String, writes: [WrittenItem], schema: TableKeySchema) async {
        guard !writes.isEmpty else { return }
        var groups: [[UInt8]] = []
        var registries: Set<[UInt8]> = []
        for write in writes {
            groups.append(
                CacheEntryKey.itemHash(namespace: namespace, table: table, key: CanonicalBytes(key: write.key)))
            guard let partition = write.key[schema.partitionKey] else { continue }
            let base = CanonicalBytes(value: partition)
            groups.append(CacheEntryKey.queryGroup(namespace: namespace, table: table, index: nil, partition: base))
            for (name, index) in schema.indexes {
                if !index.isGlobal {
                    groups.append(
                        CacheEntryKey.queryGroup(namespace: namespace, table: table, index: name, partition: base))
                } else if let images = write.images {
                    for value in Set(images.compactMap { $0[index.partitionKey] }.map { CanonicalBytes(value: $0) }) {
                        groups.append(
                            CacheEntryKey.queryGroup(namespace: namespace, table: table, index: name, partition: value))
                    }
                } else {
                    registries.insert(CacheEntryKey.registry(namespace: namespace, table: table, index: name))
                }
            }
        }
        groups.append(CacheEntryKey.scanGroup(namespace: namespace, table: table))
        await invalidate(table: table, groups: groups, registries: Array(registries))
    }

    /// Item hashes only: for tables whose queries and scans are never cached (tests, mostly).
    func invalidate(table: String, keys: [Item]) async {
        let groups = keys.map {
            CacheEntryKey.itemHash(namespace: namespace, table: table, key: CanonicalBytes(key: $0))
        }
        await invalidate(table: table, groups: groups, registries: [])
    }

    func invalidate(table: String, groups: [[UInt8]], registries: [[UInt8]]) async {
        guard !groups.isEmpty || !registries.isEmpty else { return }
        state.withLockedValue { state in
            state.sequence += 1
            for name in groups + registries { state.invalidatedAt[name] = state.sequence }
            if state.invalidatedAt.count > 100_000 {
                state.invalidatedAt.removeAll()
                state.floor = state.sequence
            }
        }
        l1?.invalidate(groups: groups, registries: registries)
        guard let redis else { return }
        let policy = policies.policy(for: table)
        do {
            _ = try await runInvalidation(redis, groups: groups, registries: registries, tombstone: policy.tombstone)
        } catch {
            stats.recordRedisError()
            state.withLockedValue { state in
                state.pending.groups.append(contentsOf: groups)
                state.pending.registries.append(contentsOf: registries)
                if state.pending.count > 100_000 {
                    state.pending = PendingInvalidations()
                    state.untrusted = true
                }
            }
        }
    }

    func runInvalidation(_ redis: RedisClient, groups: [[UInt8]], registries: [[UInt8]], tombstone: Int64)
        async throws -> RedisValue
    {
        let until = clock.nowMilliseconds() + tombstone
        let message = l1 == nil ? [] : L1Tier.message(groups: groups, registries: registries)
        let reply = try await redis.eval(
            ItemCacheScripts.invalidate,
            keys: groups + registries,
            arguments: [
                Array(String(until).utf8), Array(String(max(tombstone, 1)).utf8), Array(String(groups.count).utf8),
                Array(invalidationChannel.utf8), message,
            ]
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
        l1?.invalidate(table: table)
        guard let redis else { return }
        do {
            try await flush(redis, table: table)
            if l1 != nil {
                _ = try await redis.send(["PUBLISH", invalidationChannel, table.map { "t \($0)" } ?? "*"])
            }
        } catch {
            stats.recordRedisError()
            state.withLockedValue { $0.untrusted = true }
        }
    }

    func flush(_ redis: RedisClient, table: String?) async throws {
        let pattern = table.map { "dc:\(namespace):[iqx]:\($0):*" } ?? "dc:\(namespace):*"
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
        if let table {
            _ = try await redis.send(bytes: [
                Array("DEL".utf8), CacheEntryKey.scanGroup(namespace: namespace, table: table),
            ])
        }
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
                    state.pending = PendingInvalidations()
                }
            } catch {
                stats.recordRedisError()
                return false
            }
            return true
        }
        if !pending.isEmpty {
            do {
                _ = try await runInvalidation(
                    redis, groups: pending.groups, registries: pending.registries,
                    tombstone: policies.defaultPolicy.tombstone)
                state.withLockedValue { state in
                    state.pending.groups.removeFirst(min(pending.groups.count, state.pending.groups.count))
                    state.pending.registries.removeFirst(min(pending.registries.count, state.pending.registries.count))
                }
            } catch {
                stats.recordRedisError()
                return false
            }
        }
        return true
    }
}
