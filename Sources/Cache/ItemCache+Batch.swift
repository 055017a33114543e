import DynamoExpressions
import DynamoModel
import NIOCore
import Redis

extension ItemCache {
    /// One table's part of a BatchGetItem.
    struct BatchTable {
        var name: String
        var spec: [String: JSONValue]
        var keys: [Item]
        var projection: String?
    }

    static let batchAllowed: Set<String> = ["RequestItems", "ReturnConsumedCapacity"]
    static let batchTableAllowed: Set<String> = [
        "Keys", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead",
    ]

    /// Reads a BatchGetItem for the cache; nil when any part of it must bypass.
    func batchTables(_ request: JSONValue) -> [BatchTable]? {
        guard case .object(let members) = request, members.keys.allSatisfy(Self.batchAllowed.contains),
            let items = members["RequestItems"]?.objectValue
        else { return nil }
        if let capacity = members["ReturnConsumedCapacity"], capacity != .null, capacity != .string("NONE") {
            return nil
        }
        var tables: [BatchTable] = []
        for (name, specJSON) in items {
            guard case .object(let spec) = specJSON, spec.keys.allSatisfy(Self.batchTableAllowed.contains),
                spec["ConsistentRead"] != .bool(true), policies.policy(for: name).enabled,
                let keyList = spec["Keys"]?.arrayValue
            else { return nil }
            // The same projection rules as GetItem, by asking the GetItem decision about one key.
            var probe = spec
            probe["TableName"] = .string(name)
            probe["Key"] = keyList.first ?? .null
            probe["Keys"] = nil
            guard case .cacheable(_, _, let projection) = GetItemCacheability.decide(.object(probe)) else { return nil }
            var keys: [Item] = []
            for keyJSON in keyList {
                guard let key = try? Item.fromJSON(keyJSON, parameter: "Keys"), !key.isEmpty else { return nil }
                keys.append(key)
            }
            tables.append(BatchTable(name: name, spec: spec, keys: keys, projection: projection))
        }
        return tables.isEmpty ? nil : tables
    }

    /// Answers a BatchGetItem: each key from Redis when fresh (entries are shared with GetItem),
    /// the rest in one smaller BatchGetItem through `fetch`, whose answers fill the cache under
    /// leases. UnprocessedKeys are passed back and never remembered as absent.
    public func batchGetItem(
        request: JSONValue,
        fetch: @escaping @Sendable (_ request: JSONValue) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        guard let tables = batchTables(request), let redis, await redisReadable() else {
            for table in request["RequestItems"]?.objectValue?.keys.sorted() ?? [] {
                stats.record(.bypass, table: table, operation: "BatchGetItem")
                stats.record(.upstreamCall, table: table, operation: "BatchGetItem")
            }
            return (try await fetch(request), .bypass)
        }
        let now = clock.nowMilliseconds()
        var found: [String: [JSONValue]] = [:]
        var missing: [(table: BatchTable, key: Item, cacheKey: CacheEntryKey)] = []
        // One pipelined HGET per key.
        var lookups: [(BatchTable, Item, CacheEntryKey, EventLoopFutureValue)] = []
        for table in tables {
            for key in table.keys {
                let cacheKey = CacheEntryKey(
                    namespace: namespace, table: table.name, key: CanonicalBytes(key: key), projection: table.projection
                )
                lookups.append(
                    (
                        table, key, cacheKey,
                        EventLoopFutureValue(redis.send([Array("HGET".utf8), cacheKey.redisKey, cacheKey.field]))
                    ))
            }
        }
        for (table, key, cacheKey, lookup) in lookups {
            let policy = policies.policy(for: table.name)
            guard let reply = try? await lookup.future.get() else {
                stats.recordRedisError()
                missing.append((table, key, cacheKey))
                continue
            }
            if let entry = reply.bytes.flatMap({ CacheEnvelope(bytes: $0) }) {
                switch policy.freshness(of: entry, now: now) {
                case .negative:
                    stats.record(.negative, table: table.name, operation: "BatchGetItem")
                    continue
                case .fresh:
                    if let item = try? JSONParser.parse(entry.body)["Item"] {
                        stats.record(.hit(bytes: entry.body.count), table: table.name, operation: "BatchGetItem")
                        found[table.name, default: []].append(item)
                        continue
                    }
                case .revalidate, .expired:
                    break  // a batch reads stale keys again rather than serving them
                }
            }
            stats.record(.miss, table: table.name, operation: "BatchGetItem")
            missing.append((table, key, cacheKey))
        }
        var unprocessed: JSONValue = .object([:])
        if !missing.isEmpty {
            let fetched = try await fetchMissing(missing, now: now, fetch: fetch)
            guard let fetched else {
                return (try await fetch(request), .miss)  // an error: the table store's own answer
            }
            for (table, items) in fetched.items { found[table, default: []] += items }
            unprocessed = fetched.unprocessed
        }
        var responses: [String: JSONValue] = [:]
        for table in tables { responses[table.name] = .array(found[table.name] ?? []) }
        let body = JSONWriter.bytes(.object(["Responses": .object(responses), "UnprocessedKeys": unprocessed]))
        return (
            UpstreamAnswer(status: 200, headers: [("content-type", "application/x-amz-json-1.0")], body: body),
            missing.isEmpty ? .hit : .miss
        )
    }

    /// Leases the missing keys, reads them in one BatchGetItem (consistently for tables with a
    /// key inside a tombstone), and fills what came back. Nil when the table store failed.
    func fetchMissing(
        _ missing: [(table: BatchTable, key: Item, cacheKey: CacheEntryKey)],
        now: Int64,
        fetch: @Sendable (JSONValue) async throws -> UpstreamAnswer
    ) async throws -> (items: [String: [JSONValue]], unprocessed: JSONValue)? {
        guard let redis else { return nil }
        var tokens: [CacheEntryKey: String] = [:]
        var consistentTables: Set<String> = []
        for entry in missing {
            let policy = policies.policy(for: entry.table.name)
            let token = "\(now):\(RequestID.make().prefix(16))"
            guard
                let reply = try? await redis.eval(
                    ItemCacheScripts.readOrLease,
                    keys: [entry.cacheKey.redisKey],
                    arguments: [
                        entry.cacheKey.field, Array(token.utf8), Array(String(now).utf8),
                        Array(String(leaseTimeoutMilliseconds).utf8), Array(String(policy.outerTTL).utf8),
                    ]
                )
            else { continue }
            let parts = reply.array ?? []
            if parts.count > 1 && parts[1] == .integer(1) { tokens[entry.cacheKey] = token }
            if parts.count > 2, let until = parts[2].string.flatMap({ Int64($0) }), until > now {
                consistentTables.insert(entry.table.name)
            }
        }
        var requestItems: [String: JSONValue] = [:]
        for entry in missing {
            var spec = requestItems[entry.table.name]?.objectValue ?? entry.table.spec
            var keys = (requestItems[entry.table.name]?["Keys"]?.arrayValue) ?? []
            keys.append(entry.key.json)
            spec["Keys"] = .array(keys)
            if consistentTables.contains(entry.table.name) { spec["ConsistentRead"] = .bool(true) }
            requestItems[entry.table.name] = .object(spec)
        }
        for table in Set(missing.map(\.table.name)) {
            stats.record(.upstreamCall, table: table, operation: "BatchGetItem")
        }
        let answer = try await fetch(.object(["RequestItems": .object(requestItems)]))
        guard answer.status == 200, let json = try? JSONParser.parse(answer.body) else { return nil }
        let responses = json["Responses"]?.objectValue ?? [:]
        let unprocessed = json["UnprocessedKeys"] ?? .object([:])
        // Which keys came back unprocessed: those are neither present nor absent.
        var unprocessedKeys: Set<CanonicalBytes> = []
        for (_, spec) in unprocessed.objectValue ?? [:] {
            for key in spec["Keys"]?.arrayValue ?? [] {
                if let item = try? Item.fromJSON(key, parameter: "Keys") {
                    unprocessedKeys.insert(CanonicalBytes(key: item))
                }
            }
        }
        var returned: [CanonicalBytes: JSONValue] = [:]
        for entry in missing {
            let keyNames = Array(entry.key.keys)
            for itemJSON in responses[entry.table.name]?.arrayValue ?? [] {
                guard let item = try? Item.fromJSON(itemJSON, parameter: "Item") else { continue }
                var key: Item = [:]
                for name in keyNames { key[name] = item[name] }
                if key.count == keyNames.count { returned[CanonicalBytes(key: key)] = itemJSON }
            }
        }
        let storedAt = clock.nowMilliseconds()
        for entry in missing {
            let canonical = CanonicalBytes(key: entry.key)
            guard let token = tokens[entry.cacheKey], !unprocessedKeys.contains(canonical) else { continue }
            let policy = policies.policy(for: entry.table.name)
            // Items can be matched to keys only when the projection keeps the key attributes.
            guard Self.projectionKeepsKeys(entry.table.projection, keyNames: Array(entry.key.keys)) else { continue }
            let envelope: CacheEnvelope
            if let item = returned[canonical] {
                envelope = CacheEnvelope(
                    storedAtMilliseconds: storedAt, present: true, body: JSONWriter.bytes(.object(["Item": item])))
            } else {
                // Asked for, processed, not returned: absent.
                envelope = CacheEnvelope(storedAtMilliseconds: storedAt, present: false, body: Array("{}".utf8))
            }
            let stored = try? await redis.eval(
                ItemCacheScripts.fill,
                keys: [entry.cacheKey.redisKey],
                arguments: [
                    entry.cacheKey.field, Array(token.utf8), envelope.bytes, Array(String(policy.outerTTL).utf8),
                ]
            )
            if stored != .integer(1) { stats.record(.fillDropped, table: entry.table.name, operation: "BatchGetItem") }
        }
        var items: [String: [JSONValue]] = [:]
        for (table, list) in responses { items[table] = list.arrayValue ?? [] }
        return (items, unprocessed)
    }
}

extension ItemCache {
    static func projectionKeepsKeys(_ projection: String?, keyNames: [String]) -> Bool {
        guard let projection else { return true }
        let paths = Set(projection.split(separator: ",").map(String.init))
        return keyNames.allSatisfy { paths.contains("[\($0)]") }
    }
}

/// A Redis reply future held while more commands are pipelined behind it.
struct EventLoopFutureValue {
    let future: EventLoopFuture<RedisValue>
    init(_ future: EventLoopFuture<RedisValue>) { self.future = future }
}
