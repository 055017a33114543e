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

/// One invalidation Redis has not taken yet: groups to delete, or generations to bump.
enum Invalidation: Sendable {
    case groups(table: String, [[UInt8]])
    /// `fields`: `t` for the whole table, `i:NAME` for one global index.
    case bump(table: String, fields: [String])
}

/// Invalidations Redis has not taken yet (it was down), replayed before it is read again. Each
/// has a number, so a replay removes exactly what it replayed, never one queued meanwhile.
struct PendingInvalidations {
    var entries: [(id: UInt64, invalidation: Invalidation)] = []
    var nextID: UInt64 = 0
    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    mutating func append(_ invalidation: Invalidation) {
        nextID += 1
        entries.append((nextID, invalidation))
    }

    /// Forgets what a replay delivered: every entry numbered up to `id`.
    mutating func removeThrough(_ id: UInt64) { entries.removeAll { $0.id <= id } }
}

extension ItemCache {
    /// The pub/sub channel on which every proxy of this namespace announces its invalidations.
    public var invalidationChannel: String { "dc:\(namespace):inv" }

    /// Deletes everything these writes can have made stale, and leaves tombstones: each item's
    /// hash, its base partition's query group and its LSI groups, the GSI groups its images name
    /// (the GSI's generation is bumped when they are unknown), and the table's scan group. Call
    /// it after the table store acknowledged the write, or failed with an unknown outcome, and
    /// before answering the client. Returns whether Redis took it (else it is queued).
    @discardableResult
    public func invalidate(table: String, writes: [WrittenItem], schema: TableKeySchema) async -> Bool {
        guard !writes.isEmpty else { return true }
        var groups: [[UInt8]] = []
        var indexes: Set<String> = []
        var wholeTable = false
        for write in writes {
            groups.append(
                CacheEntryKey.itemHash(namespace: namespace, table: table, key: CanonicalBytes(key: write.key)))
            guard let partition = write.key[schema.partitionKey] else {
                // A key the schema cannot read (the table was re-created with other keys):
                // its groups are unknown, so the whole table goes.
                wholeTable = true
                continue
            }
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
                    indexes.insert(name)
                }
            }
        }
        groups.append(CacheEntryKey.scanGroup(namespace: namespace, table: table))
        var invalidations = [Invalidation.groups(table: table, groups)]
        if wholeTable {
            invalidations.append(.bump(table: table, fields: ["t"]))
        } else if !indexes.isEmpty {
            invalidations.append(.bump(table: table, fields: indexes.sorted().map { "i:\($0)" }))
        }
        return await run(invalidations)
    }

    /// Item hashes only: for tables whose queries and scans are never cached (tests, mostly).
    @discardableResult
    func invalidate(table: String, keys: [Item]) async -> Bool {
        let groups = keys.map {
            CacheEntryKey.itemHash(namespace: namespace, table: table, key: CanonicalBytes(key: $0))
        }
        return await run([.groups(table: table, groups)])
    }

    /// Everything cached of one table, in O(1) Redis commands (a new generation with a
    /// tombstone): after CreateTable/UpdateTable/DeleteTable, a PartiQL write whose items cannot
    /// be known, a write whose key the cached schema cannot read, or a stream whose records were
    /// lost. Stream checkpoints and leases are untouched.
    @discardableResult
    public func invalidateTable(_ table: String) async -> Bool {
        await run([.bump(table: table, fields: ["t"])])
    }

    /// Everything cached in this namespace (an emulator's reset): each table's generation
    /// bumped, work that grows with the number of tables, not of entries.
    public func invalidateAll() async {
        forgetFlights()
        l1?.invalidate(table: nil)
        guard let redis else { return }
        do {
            try await bumpEveryTable(redis)
        } catch {
            stats.recordRedisError()
            state.withLockedValue { $0.untrusted = true }
        }
        l1?.invalidate(table: nil)
    }

    /// Runs invalidations in Redis (queuing them when it cannot), with L1 dropped before and
    /// after: a read that started in between cannot put the old entry back (L1 refuses an
    /// insert read before its key's last drop).
    func run(_ invalidations: [Invalidation]) async -> Bool {
        guard !invalidations.isEmpty else { return true }
        noteLocally(invalidations)
        guard let redis else { return true }
        var delivered = true
        do {
            for invalidation in invalidations { try await send(invalidation, to: redis) }
        } catch {
            stats.recordRedisError()
            delivered = false
            state.withLockedValue { state in
                for invalidation in invalidations { state.pending.append(invalidation) }
                if state.pending.count > 100_000 {
                    state.pending = PendingInvalidations()
                    state.untrusted = true
                }
            }
        }
        noteLocally(invalidations)
        return delivered
    }

    /// The single-flight floor and L1 for these invalidations.
    func noteLocally(_ invalidations: [Invalidation]) {
        var names: [[UInt8]] = []
        var tables: [String] = []
        var touched: Set<String> = []
        for invalidation in invalidations {
            switch invalidation {
            case .groups(let table, let groups):
                names += groups
                touched.insert(table)
            case .bump(let table, let fields):
                touched.insert(table)
                if fields.contains("t") {
                    tables.append(table)
                } else {
                    names += fields.map {
                        CacheEntryKey.registry(namespace: namespace, table: table, index: String($0.dropFirst(2)))
                    }
                }
            }
        }
        let now = clock.nowMilliseconds()
        state.withLockedValue { state in
            if state.recentlyInvalidated.count > 10_000 { state.recentlyInvalidated.removeAll() }
            for table in touched {
                state.recentlyInvalidated[table] = max(
                    state.recentlyInvalidated[table] ?? 0, now + policies.policy(for: table).tombstone)
            }
            state.sequence += 1
            if !tables.isEmpty { state.floor = state.sequence }
            for name in names { state.invalidatedAt[name] = state.sequence }
            if state.invalidatedAt.count > 100_000 {
                state.invalidatedAt.removeAll()
                state.floor = state.sequence
            }
        }
        guard let l1 else { return }
        for table in tables { l1.invalidate(table: table) }
        let (groups, registries) = Self.split(names)
        if !groups.isEmpty || !registries.isEmpty { l1.invalidate(groups: groups, registries: registries) }
    }

    static func split(_ names: [[UInt8]]) -> (groups: [[UInt8]], registries: [[UInt8]]) {
        var groups: [[UInt8]] = []
        var registries: [[UInt8]] = []
        for name in names {
            // `dc:{ns}:x:` names an index label; everything else is a group.
            if let i = name.firstIndex(of: UInt8(ascii: ":")),
                let j = name[(i + 1)...].firstIndex(of: UInt8(ascii: ":")),
                name.count > j + 2, name[j + 1] == UInt8(ascii: "x"), name[j + 2] == UInt8(ascii: ":")
            {
                registries.append(name)
            } else {
                groups.append(name)
            }
        }
        return (groups, registries)
    }

    func forgetFlights() {
        state.withLockedValue { state in
            state.sequence += 1
            state.floor = state.sequence
            state.invalidatedAt.removeAll()
        }
    }

    /// One invalidation in Redis; every proxy's L1 hears of it on the channel, whether or not
    /// this proxy has an L1 itself.
    func send(_ invalidation: Invalidation, to redis: RedisClient) async throws {
        switch invalidation {
        case .groups(let table, let groups):
            guard !groups.isEmpty else { return }
            let tombstone = policies.policy(for: table).tombstone
            let reply = try await redis.eval(
                ItemCacheScripts.invalidate,
                keys: groups,
                arguments: [
                    Array(String(clock.nowMilliseconds() + tombstone).utf8), Array(String(max(tombstone, 1)).utf8),
                    Array(invalidationChannel.utf8), L1Tier.message(groups: groups, registries: []),
                ]
            )
            if case .error(let message) = reply { throw RedisClientError.server(message) }
        case .bump(let table, let fields):
            let tombstone = policies.policy(for: table).tombstone
            let message: [UInt8] =
                fields.contains("t")
                ? Array("t \(table)\n".utf8)
                : L1Tier.message(
                    groups: [],
                    registries: fields.map {
                        CacheEntryKey.registry(namespace: namespace, table: table, index: String($0.dropFirst(2)))
                    })
            var arguments = [
                Array(String(clock.nowMilliseconds() + tombstone).utf8), Array(invalidationChannel.utf8), message,
            ]
            for field in fields { arguments += [Array(field.utf8), GenerationStamp.newToken()] }
            let reply = try await redis.eval(
                ItemCacheScripts.bump, keys: [CacheEntryKey.generations(namespace: namespace, table: table)],
                arguments: arguments)
            if case .error(let message) = reply { throw RedisClientError.server(message) }
        }
    }

    /// Bumps the generation of every table this namespace has cached (SCAN over the generations
    /// hashes only: one per table).
    func bumpEveryTable(_ redis: RedisClient) async throws {
        let prefix = "dc:\(namespace):g:"
        var cursor = "0"
        repeat {
            let reply = try await redis.send([
                "SCAN", cursor, "MATCH", CacheEntryKey.generationsPattern(namespace: namespace), "COUNT", "1000",
            ])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array
            else {
                throw RedisClientError.protocolError("unexpected SCAN reply")
            }
            for name in keys.compactMap(\.string) where name.hasPrefix(prefix) {
                try await send(.bump(table: String(name.dropFirst(prefix.count)), fields: ["t"]), to: redis)
            }
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

    /// Whether Redis may be read now: lost invalidations replayed, an untrusted Redis's
    /// generations all bumped.
    func redisReadable() async -> Bool {
        guard let redis, redis.isConnected else { return false }
        let (untrusted, pending) = state.withLockedValue { ($0.untrusted, $0.pending) }
        if untrusted {
            do {
                try await bumpEveryTable(redis)
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
        guard let last = pending.entries.last?.id else { return true }
        do {
            for entry in pending.entries { try await send(entry.invalidation, to: redis) }
            state.withLockedValue { $0.pending.removeThrough(last) }
        } catch {
            stats.recordRedisError()
            return false
        }
        return true
    }

    /// Whether every invalidation so far has reached Redis (replaying the queue first): what a
    /// stream consumer asks before it moves a checkpoint past the records it invalidated.
    public func invalidationsDelivered() async -> Bool {
        guard redis != nil else { return true }
        guard await redisReadable() else { return false }
        return state.withLockedValue { $0.pending.isEmpty && !$0.untrusted }
    }
}
