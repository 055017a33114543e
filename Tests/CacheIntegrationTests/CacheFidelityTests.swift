import DynamoModel
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import TestSupport
import Testing

@testable import Cache

/// What the cache must never do (issue: cache fidelity): answer for another table, another
/// projection, or an older generation, or lose an invalidation. Each was a bug before.
@Suite(.serialized)
struct CacheFidelityTests {
    func make(_ server: RedisServerProcess, clock: ManualClock, policies: CachePolicies = CachePolicies()) async throws
        -> (ItemCache, RedisClient)
    {
        try await makeCache(server, clock: clock, policies: policies)
    }

    static func value(_ answer: UpstreamAnswer) throws -> String? {
        try JSONParser.parse(answer.body)["Item"]?["v"]?["S"]?.stringValue
    }

    /// Two tables, one key: each table's item is cached under its own table.
    @Test func batchGetItemKeepsTablesApart() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let request = try JSONParser.parse(
            #"{"RequestItems":{"A":{"Keys":[{"id":{"S":"k"}}]},"B":{"Keys":[{"id":{"S":"k"}}]}}}"#)
        let (answer, status) = try await cache.batchGetItem(request: request) { _ in
            UpstreamAnswer(
                status: 200, headers: [],
                body: Array(
                    #"{"Responses":{"A":[{"id":{"S":"k"},"v":{"S":"from A"}}],"B":[{"id":{"S":"k"},"v":{"S":"from B"}}]},"UnprocessedKeys":{}}"#
                        .utf8))
        }
        #expect(status == .miss)
        let responses = try JSONParser.parse(answer.body)["Responses"]
        #expect(responses?["A"]?.arrayValue?.first?["v"]?["S"]?.stringValue == "from A")
        #expect(responses?["B"]?.arrayValue?.first?["v"]?["S"]?.stringValue == "from B")
        for table in ["A", "B"] {
            let get = try JSONParser.parse(#"{"TableName":"\#(table)","Key":{"id":{"S":"k"}}}"#)
            let (hit, how) = try await cache.getItem(request: get) { _ in
                Issue.record("a hit was expected")
                return UpstreamAnswer(status: 500, headers: [], body: [])
            }
            #expect(how == .hit)
            #expect(try Self.value(hit) == "from \(table)")
        }
    }

    /// A request the table store refuses is never answered from the cache.
    @Test func batchGetItemTheStoreWouldRefuseBypasses() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let duplicate = try JSONParser.parse(
            #"{"RequestItems":{"A":{"Keys":[{"id":{"S":"k"}},{"id":{"S":"k"}}]}}}"#)
        #expect(cache.batchTables(duplicate) == nil)
        let keys = (0...100).map { #"{"id":{"S":"k\#($0)"}}"# }.joined(separator: ",")
        let tooMany = try JSONParser.parse(#"{"RequestItems":{"A":{"Keys":[\#(keys)]}}}"#)
        #expect(cache.batchTables(tooMany) == nil)
        let both = try JSONParser.parse(
            #"{"RequestItems":{"A":{"Keys":[{"id":{"S":"k"}}]},"arn:aws:dynamodb:us-east-1:1:table/A":{"Keys":[{"id":{"S":"j"}}]}}}"#
        )
        #expect(cache.batchTables(both) == nil)
    }

    /// An attribute named `a, b`, one named `a.b`, the path `a.b` and the pair `a`, `b` are four
    /// projections.
    @Test func projectionsOfLookalikeNamesAreDistinct() throws {
        func projection(_ expression: String, _ names: String = "") throws -> String? {
            let json = try JSONParser.parse(
                #"{"TableName":"T","Key":{"id":{"S":"k"}},"ProjectionExpression":"\#(expression)"\#(names)}"#)
            guard case .cacheable(_, _, let projection) = GetItemCacheability.decide(json) else { return nil }
            return projection
        }
        let all = [
            try projection("#x", ##","ExpressionAttributeNames":{"#x":"a, b"}"##),
            try projection("#x", ##","ExpressionAttributeNames":{"#x":"a.b"}"##),
            try projection("a.b"),
            try projection("a, b"),
        ]
        #expect(all.allSatisfy { $0 != nil })
        #expect(Set(all.compactMap { $0 }).count == 4)
        #expect(try projection("b, a") == projection("a, b"))
        // An unused placeholder is the store's error to give: no entry.
        #expect(try projection("a", ##","ExpressionAttributeNames":{"#x":"a"}"##) == nil)
    }

    /// A table named by its ARN shares the name's entries and policy (`enabled: false` holds).
    @Test func anArnIsItsTable() async throws {
        let arn = try JSONParser.parse(
            #"{"TableName":"arn:aws:dynamodb:us-east-1:1:table/T","Key":{"id":{"S":"k"}}}"#)
        guard case .cacheable(let table, _, _) = GetItemCacheability.decide(arn) else {
            Issue.record("cacheable")
            return
        }
        #expect(table == "T")
        let server = try RedisServerProcess()
        var policies = CachePolicies()
        var off = CachePolicy()
        off.enabled = false
        policies.tables["T"] = off
        let (cache, redis) = try await make(server, clock: ManualClock(), policies: policies)
        defer { Task { await redis.shutdown() } }
        let fake = FakeTable()
        fake.set("v")
        #expect(try await cache.getItem(request: arn) { try await fake.fetch($0) }.1 == .bypass)
        let batch = try JSONParser.parse(
            #"{"RequestItems":{"arn:aws:dynamodb:us-east-1:1:table/T":{"Keys":[{"id":{"S":"k"}}]}}}"#)
        #expect(cache.batchTables(batch) == nil)
    }

    /// Whole-table invalidation: O(1), every entry dead at once, and a tombstone inside which
    /// fills read consistently, as for one item.
    @Test func invalidatingATableRetiresEveryEntryAndLeavesATombstone() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        let (cache, redis) = try await make(server, clock: clock)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        let get = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}}}"#)
        #expect(try await cache.getItem(request: get) { try await table.fetch($0) }.1 == .miss)
        #expect(try await cache.getItem(request: get) { try await table.fetch($0) }.1 == .hit)
        table.set("new")
        #expect(await cache.invalidateTable("T"))
        let (answer, status) = try await cache.getItem(request: get) { try await table.fetch($0) }
        #expect(try status == .miss && Self.value(answer) == "new")
        #expect(table.consistentReads.last == true)  // inside the table's tombstone
        #expect(try await cache.getItem(request: get) { try await table.fetch($0) }.1 == .hit)
        // The entry hash itself was never touched: the generation retired it.
        let keys = try await redis.send(["KEYS", "dc:test:*"])
        #expect((keys.array ?? []).compactMap(\.string).contains("dc:test:g:T"))
        // Past the tombstone, fills are eventually consistent again.
        clock.advance(3_001)
        #expect(await cache.invalidateTable("T"))
        clock.advance(3_001)
        _ = try await cache.getItem(request: get) { try await table.fetch($0) }
        #expect(table.consistentReads.last == false)
    }

    /// A late fill that read before a table's invalidation is stored under the old generation
    /// and never served.
    @Test func aFillThatStartedBeforeATableInvalidationIsNeverServed() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        table.hold()
        let get = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}}}"#)
        let reader = Task { try await cache.getItem(request: get) { try await table.fetch($0) } }
        await table.waitUntilArrived(1)
        table.set("new")
        await cache.invalidateTable("T")
        table.release()
        #expect(try Self.value(try await reader.value.0) == "old")  // it began before the write
        let (answer, _) = try await cache.getItem(request: get) { try await table.fetch($0) }
        #expect(try Self.value(answer) == "new")
    }

    /// A written key the cached schema cannot read (the table was re-created with other keys)
    /// retires the whole table rather than nothing.
    @Test func aKeyTheSchemaCannotReadRetiresTheTable() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        let get = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}}}"#)
        _ = try await cache.getItem(request: get) { try await table.fetch($0) }
        let schema = TableKeySchema(partitionKey: "pk", sortKey: nil, indexes: [:])
        table.set("new")
        await cache.invalidate(
            table: "T", writes: [WrittenItem(key: ["id": .s("other")], images: nil)], schema: schema)
        let (answer, status) = try await cache.getItem(request: get) { try await table.fetch($0) }
        #expect(try status == .miss && Self.value(answer) == "new")
    }

    /// A replay removes exactly what it replayed: one queued meanwhile stays queued.
    @Test func replayingLostInvalidationsNeverDropsOneQueuedMeanwhile() {
        var pending = PendingInvalidations()
        pending.append(.groups(table: "T", [Array("a".utf8)]))
        pending.append(.groups(table: "T", [Array("b".utf8)]))
        let copy = pending  // a reader starts replaying these two
        pending.append(.groups(table: "T", [Array("c".utf8)]))  // a writer queues one more
        var other = pending  // a second reader replays all three and removes them
        other.removeThrough(other.entries.last!.id)
        #expect(other.isEmpty)
        pending.removeThrough(copy.entries.last!.id)  // the first reader finishes
        #expect(pending.count == 1)
        if case .groups(_, let groups) = pending.entries[0].invalidation {
            #expect(groups == [Array("c".utf8)])
        } else {
            Issue.record("the queued invalidation was lost")
        }
    }

    /// Lost invalidations are queued, and `invalidationsDelivered` (what a stream consumer asks
    /// before it saves a checkpoint) is false until they reached Redis.
    @Test func deliveryIsReportedOnlyOnceRedisTookEverything() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        #expect(await cache.invalidationsDelivered())
        await redis.shutdown()
        #expect(!(await cache.invalidate(table: "T", keys: [["id": .s("k")]])))
        #expect(!(await cache.invalidationsDelivered()))
    }
}

extension CacheFidelityTests {
    /// A read the cache does not answer (here: ReturnConsumedCapacity) still reads consistently
    /// inside the tombstone of the proxy's own invalidation of its table.
    @Test func aPassThroughInsideATombstoneReadsConsistently() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        let (cache, redis) = try await make(server, clock: clock)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v")
        let bypassed = try JSONParser.parse(
            #"{"TableName":"T","Key":{"id":{"S":"k"}},"ReturnConsumedCapacity":"TOTAL"}"#)
        #expect(try await cache.getItem(request: bypassed) { try await table.fetch($0) }.1 == .bypass)
        #expect(table.consistentReads.last == false)
        await cache.invalidate(table: "T", keys: [["id": .s("k")]])
        _ = try await cache.getItem(request: bypassed) { try await table.fetch($0) }
        #expect(table.consistentReads.last == true)
        clock.advance(3_001)
        _ = try await cache.getItem(request: bypassed) { try await table.fetch($0) }
        #expect(table.consistentReads.last == false)
    }
}
