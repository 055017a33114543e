import DynamoExpressions
import DynamoModel
import NIOCore
import Redis

extension ItemCache {
    /// One table's part of a BatchGetItem.
    struct BatchTable {
        /// The table as the request names it (a name or an ARN): the key of its part of the
        /// request and of the answer.
        var name: String
        /// The table's name, for cache keys, policies and stats.
        var table: String
        var spec: [String: JSONValue]
        var keys: [Item]
        var projection: String?
    }

    /// DynamoDB's own limit on the keys of one BatchGetItem.
    static let batchKeyLimit = 100

    static let batchAllowed: Set<String> = ["RequestItems", "ReturnConsumedCapacity"]
    static let batchTableAllowed: Set<String> = [
        "Keys", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead",
    ]

    /// Reads a BatchGetItem for the cache; nil when any part of it must bypass. A request the
    /// table store would refuse (more than 100 keys, a key listed twice, a bad projection) is
    /// one of those: the store gives its own error.
    func batchTables(_ request: JSONValue) -> [BatchTable]? {
        guard case .object(let members) = request, members.keys.allSatisfy(Self.batchAllowed.contains),
            let items = members["RequestItems"]?.objectValue
        else { return nil }
        if let capacity = members["ReturnConsumedCapacity"], capacity != .null, capacity != .string("NONE") {
            return nil
        }
        var tables: [BatchTable] = []
        var total = 0
        var names: Set<String> = []
        for (name, specJSON) in items {
            let table = TableReference.name(name)
            // One table named twice (by name and by ARN): DynamoDB's answer to that is its own.
            guard names.insert(table).inserted else { return nil }
            guard case .object(let spec) = specJSON, spec.keys.allSatisfy(Self.batchTableAllowed.contains),
                spec["ConsistentRead"] != .bool(true), policies.policy(for: table).enabled,
                let keyList = spec["Keys"]?.arrayValue, !keyList.isEmpty
            else { return nil }
            total += keyList.count
            guard total <= Self.batchKeyLimit else { return nil }
            // The same projection rules as GetItem, by asking the GetItem decision about one key.
            var probe = spec
            probe["TableName"] = .string(name)
            probe["Key"] = keyList[0]
            probe["Keys"] = nil
            guard case .cacheable(_, _, let projection) = GetItemCacheability.decide(.object(probe)) else { return nil }
            var keys: [Item] = []
            var seen: Set<CanonicalBytes> = []
            for keyJSON in keyList {
                guard let key = try? Item.fromJSON(keyJSON, parameter: "Keys"), !key.isEmpty,
                    seen.insert(CanonicalBytes(key: key)).inserted
                else { return nil }
                keys.append(key)
            }
            tables.append(BatchTable(name: name, table: table, spec: spec, keys: keys, projection: projection))
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
        guard let tables = batchTables(request), let redis, await redisReadable(),
            let connection = redis.connection()
        else {
            for name in request["RequestItems"]?.objectValue?.keys.sorted() ?? [] {
                let table = TableReference.name(name)
                stats.record(.bypass, table: table, operation: "BatchGetItem")
                stats.record(.upstreamCall, table: table, operation: "BatchGetItem")
            }
            return (try await fetch(request), .bypass)
        }
        let now = clock.nowMilliseconds()
        var found: [String: [JSONValue]] = [:]
        var missing: [(table: BatchTable, key: Item, cacheKey: CacheEntryKey)] = []
        // Every key's entry and its table's generations, pipelined on one connection.
        var lookups: [(BatchTable, Item, CacheEntryKey, EventLoopFuture<CacheEnvelope?>)] = []
        for table in tables {
            for key in table.keys {
                let cacheKey = CacheEntryKey(
                    namespace: namespace, table: table.table, key: CanonicalBytes(key: key),
                    projection: table.projection)
                lookups.append((table, key, cacheKey, Self.current(cacheKey, on: connection)))
            }
        }
        for (table, key, cacheKey, lookup) in lookups {
            let policy = policies.policy(for: table.table)
            let entry: CacheEnvelope?
            do {
                entry = try await lookup.get()
            } catch {
                stats.recordRedisError()
                missing.append((table, key, cacheKey))
                continue
            }
            if let entry {
                switch policy.freshness(of: entry, now: now) {
                case .negative:
                    stats.record(.negative, table: table.table, operation: "BatchGetItem")
                    continue
                case .fresh:
                    if let item = try? JSONParser.parse(entry.body)["Item"] {
                        stats.record(.hit(bytes: entry.body.count), table: table.table, operation: "BatchGetItem")
                        found[table.name, default: []].append(item)
                        continue
                    }
                case .revalidate, .expired:
                    break  // a batch reads stale keys again rather than serving them
                }
            }
            stats.record(.miss, table: table.table, operation: "BatchGetItem")
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
        var stamps: [String: [UInt8]] = [:]
        var consistentTables: Set<String> = []
        for table in Set(missing.map(\.table.table)) {
            let name = CacheEntryKey.generations(namespace: namespace, table: table)
            guard let current = await generations(name, index: nil, redis: redis) else { continue }
            stamps[table] = current.stamp
            if current.tombstoneUntil > now { consistentTables.insert(table) }
        }
        for entry in missing where stamps[entry.table.table] != nil {
            let policy = policies.policy(for: entry.table.table)
            let token = "\(now):\(RequestID.make().prefix(16))"
            guard
                let reply = try? await redis.eval(
                    ItemCacheScripts.readOrLease,
                    keys: [entry.cacheKey.redisKey],
                    arguments: [
                        entry.cacheKey.field, Array(token.utf8), Array(String(now).utf8),
                        Array(String(leaseTimeoutMilliseconds).utf8), Array(String(policy.outerTTL).utf8), [],
                    ]
                )
            else { continue }
            let parts = reply.array ?? []
            if parts.count > 1 && parts[1] == .integer(1) { tokens[entry.cacheKey] = token }
            if parts.count > 2, let until = parts[2].string.flatMap({ Int64($0) }), until > now {
                consistentTables.insert(entry.table.table)
            }
        }
        var requestItems: [String: JSONValue] = [:]
        for entry in missing {
            var spec = requestItems[entry.table.name]?.objectValue ?? entry.table.spec
            var keys = (requestItems[entry.table.name]?["Keys"]?.arrayValue) ?? []
            keys.append(entry.key.json)
            spec["Keys"] = .array(keys)
            if consistentTables.contains(entry.table.table) { spec["ConsistentRead"] = .bool(true) }
            requestItems[entry.table.name] = .object(spec)
        }
        for table in Set(missing.map(\.table.table)) {
            stats.record(.upstreamCall, table: table, operation: "BatchGetItem")
        }
        let answer = try await fetch(.object(["RequestItems": .object(requestItems)]))
        guard answer.status == 200, let json = try? JSONParser.parse(answer.body) else { return nil }
        let responses = json["Responses"]?.objectValue ?? [:]
        let unprocessed = json["UnprocessedKeys"] ?? .object([:])
        // Which keys came back unprocessed, per table: those are neither present nor absent.
        var unprocessedKeys: Set<TableKey> = []
        for (name, spec) in unprocessed.objectValue ?? [:] {
            for key in spec["Keys"]?.arrayValue ?? [] {
                if let item = try? Item.fromJSON(key, parameter: "Keys") {
                    unprocessedKeys.insert(TableKey(table: name, key: CanonicalBytes(key: item)))
                }
            }
        }
        // The items that came back, by table and key: two tables may share a key.
        var returned: [TableKey: JSONValue] = [:]
        for table in Set(missing.map(\.table.name)) {
            guard let keyNames = missing.first(where: { $0.table.name == table }).map({ Array($0.key.keys) }) else {
                continue
            }
            for itemJSON in responses[table]?.arrayValue ?? [] {
                guard let item = try? Item.fromJSON(itemJSON, parameter: "Item") else { continue }
                var key: Item = [:]
                for name in keyNames { key[name] = item[name] }
                if key.count == keyNames.count {
                    returned[TableKey(table: table, key: CanonicalBytes(key: key))] = itemJSON
                }
            }
        }
        let storedAt = clock.nowMilliseconds()
        for entry in missing {
            let tableKey = TableKey(table: entry.table.name, key: CanonicalBytes(key: entry.key))
            guard let token = tokens[entry.cacheKey], let stamp = stamps[entry.table.table],
                !unprocessedKeys.contains(tableKey)
            else { continue }
            let policy = policies.policy(for: entry.table.table)
            // Items can be matched to keys only when the projection keeps the key attributes.
            guard Self.projectionKeepsKeys(entry.table.spec, keyNames: Array(entry.key.keys)) else { continue }
            let envelope: CacheEnvelope
            if let item = returned[tableKey] {
                envelope = CacheEnvelope(
                    storedAtMilliseconds: storedAt, present: true, stamp: stamp,
                    body: JSONWriter.bytes(.object(["Item": item])))
            } else {
                // Asked for, processed, not returned: absent.
                envelope = CacheEnvelope(
                    storedAtMilliseconds: storedAt, present: false, stamp: stamp, body: Array("{}".utf8))
            }
            let stored = try? await redis.eval(
                ItemCacheScripts.fill,
                keys: [entry.cacheKey.redisKey],
                arguments: [
                    entry.cacheKey.field, Array(token.utf8), envelope.bytes, Array(String(policy.outerTTL).utf8),
                ]
            )
            if stored != .integer(1) {
                stats.record(.fillDropped, table: entry.table.table, operation: "BatchGetItem")
            }
        }
        var items: [String: [JSONValue]] = [:]
        for (table, list) in responses { items[table] = list.arrayValue ?? [] }
        return (items, unprocessed)
    }
}

/// An item of one table: answers of a batch are told apart by both.
struct TableKey: Hashable {
    var table: String
    var key: CanonicalBytes
}

extension ItemCache {
    /// Whether a table's projection (if any) keeps every key attribute whole, so that returned
    /// items can be matched to the keys asked for.
    static func projectionKeepsKeys(_ spec: [String: JSONValue], keyNames: [String]) -> Bool {
        guard let text = spec["ProjectionExpression"]?.stringValue else { return true }
        guard var attributes = try? ExpressionAttributes(request: .object(spec)),
            let paths = try? Expressions.projection(text, attributes: &attributes)
        else { return false }
        let kept = Set(paths.filter { $0.elements.count == 1 }.map(\.topLevelName))
        return keyNames.allSatisfy(kept.contains)
    }
}
