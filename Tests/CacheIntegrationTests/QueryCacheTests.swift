import DynamoModel
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import TestSupport
import Testing

@testable import Cache

/// The Query cache's invalidation groups against a real redis-server: partitions known from an
/// item's images, whole-index drops where they are not, and GSI fills inside a tombstone.
@Suite(.serialized)
struct QueryCacheTests {
    static let schema = TableKeySchema(
        partitionKey: "id", sortKey: nil,
        indexes: ["byStatus": .init(partitionKey: "status", sortKey: nil, isGlobal: true)]
    )
    static let gsiQuery = try! JSONParser.parse(
        ##"{"TableName":"T","IndexName":"byStatus","KeyConditionExpression":"#s = :s","ExpressionAttributeNames":{"#s":"status"},"ExpressionAttributeValues":{":s":{"S":"open"}}}"##
    )
    static let baseQuery = try! JSONParser.parse(
        #"{"TableName":"T","KeyConditionExpression":"id = :k","ExpressionAttributeValues":{":k":{"S":"k"}}}"#)

    func make(_ server: RedisServerProcess, clock: ManualClock) async throws -> (ItemCache, RedisClient) {
        var policies = CachePolicies()
        policies.defaultPolicy.tombstone = 1_000
        return try await makeCache(server, clock: clock, policies: policies)
    }

    func query(_ cache: ItemCache, _ table: FakeTable, _ request: JSONValue = Self.gsiQuery) async throws -> (
        String?, CacheStatus
    ) {
        let (answer, status) = try await cache.query(request: request, operation: "Query", schema: Self.schema) {
            let item = try JSONParser.parse(try await table.fetch($0).body)["Item"]
            let body = JSONWriter.bytes(.object(["Items": .array(item.map { [$0] } ?? []), "Count": .number("1")]))
            return UpstreamAnswer(status: 200, headers: [], body: body)
        }
        let items = try JSONParser.parse(answer.body)["Items"]?.arrayValue ?? []
        return (items.first?["v"]?["S"]?.stringValue, status)
    }

    @Test func anUpdateDropsEveryGroupOfTheIndexAndGSIFillsWaitOutTheTombstone() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        let (cache, redis) = try await make(server, clock: clock)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v1")
        #expect(try await query(cache, table) == ("v1", .miss))
        #expect(try await query(cache, table) == ("v1", .hit))
        #expect(try await query(cache, table, Self.baseQuery) == ("v1", .miss))
        table.set("v2")
        // an update: the item's key is known, its index partitions are not
        await cache.invalidate(
            table: "T", writes: [WrittenItem(key: ["id": .s("k")], images: nil)], schema: Self.schema)
        #expect(try await query(cache, table) == ("v2", .miss))
        #expect(try await query(cache, table) == ("v2", .miss))  // inside the tombstone: read, not kept
        #expect(table.consistentReads.suffix(2) == [false, false])  // a GSI cannot read consistently
        #expect(try await query(cache, table, Self.baseQuery) == ("v2", .miss))
        #expect(table.consistentReads.last == true)  // the base table can, and keeps the answer
        #expect(try await query(cache, table, Self.baseQuery) == ("v2", .hit))
        clock.advance(1_001)
        #expect(try await query(cache, table) == ("v2", .miss))
        #expect(try await query(cache, table) == ("v2", .hit))
        // a put whose images are known drops only the partitions they name
        await cache.invalidate(
            table: "T", writes: [WrittenItem(key: ["id": .s("x")], images: [["id": .s("x"), "status": .s("closed")]])],
            schema: Self.schema)
        #expect(try await query(cache, table) == ("v2", .hit))
        await cache.invalidate(
            table: "T", writes: [WrittenItem(key: ["id": .s("x")], images: [["id": .s("x"), "status": .s("open")]])],
            schema: Self.schema)
        #expect(try await query(cache, table).1 == .miss)
    }

    @Test func aLateFillOfAnIndexGroupDroppedWholeStoresNothing() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        let (cache, redis) = try await make(server, clock: clock)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        table.hold()
        let reader = Task { try await query(cache, table) }
        await table.waitUntilArrived(1)
        table.set("new")
        await cache.invalidate(
            table: "T", writes: [WrittenItem(key: ["id": .s("k")], images: nil)], schema: Self.schema)
        table.release()
        #expect(try await reader.value == ("old", .miss))
        // The late fill carries the index's old generation: dead, whether or not it was stored.
        #expect(try await query(cache, table) == ("new", .miss))
        clock.advance(1_001)
        #expect(try await query(cache, table) == ("new", .miss))
        #expect(try await query(cache, table) == ("new", .hit))
    }
}
