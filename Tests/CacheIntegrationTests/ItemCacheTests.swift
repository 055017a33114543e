import DynamoModel
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import TestSupport
import Testing

@testable import Cache

final class ManualClock: CacheClock, @unchecked Sendable {
    let now = NIOLockedValueBox<Int64>(1_700_000_000_000)
    func nowMilliseconds() -> Int64 { now.withLockedValue { $0 } }
    func advance(_ ms: Int64) { now.withLockedValue { $0 += ms } }
}

/// A table store stand-in: answers GetItem with the current value, counts calls, records
/// whether each read was consistent, and can be held at a gate to order steps of a race.
final class FakeTable: @unchecked Sendable {
    let state = NIOLockedValueBox<(value: String?, calls: Int, consistent: [Bool], failing: Bool)>((nil, 0, [], false))
    let gate = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])
    let held = NIOLockedValueBox(false)
    let arrived = NIOLockedValueBox(0)

    func set(_ value: String?) { state.withLockedValue { $0.value = value } }
    var calls: Int { state.withLockedValue { $0.calls } }
    var consistentReads: [Bool] { state.withLockedValue { $0.consistent } }
    func fail(_ failing: Bool) { state.withLockedValue { $0.failing = failing } }

    /// The next fetches wait at the gate after reading the value, until `release()`.
    func hold() { held.withLockedValue { $0 = true } }
    func release() {
        held.withLockedValue { $0 = false }
        let waiting = gate.withLockedValue { gate -> [CheckedContinuation<Void, Never>] in
            defer { gate = [] }
            return gate
        }
        for continuation in waiting { continuation.resume() }
    }
    func waitUntilArrived(_ n: Int) async {
        while arrived.withLockedValue({ $0 }) < n { try? await Task.sleep(nanoseconds: 2_000_000) }
    }

    func fetch(_ consistent: Bool) async throws -> UpstreamAnswer {
        let (value, failing) = state.withLockedValue { s -> (String?, Bool) in
            s.calls += 1
            s.consistent.append(consistent)
            return (s.value, s.failing)
        }
        if held.withLockedValue({ $0 }) {
            arrived.withLockedValue { $0 += 1 }
            await withCheckedContinuation { continuation in gate.withLockedValue { $0.append(continuation) } }
        }
        if failing {
            return UpstreamAnswer(status: 500, headers: [], body: Array(#"{"__type":"x#InternalServerError"}"#.utf8))
        }
        let body = value.map { #"{"Item":{"id":{"S":"k"},"v":{"S":"\#($0)"}}}"# } ?? "{}"
        return UpstreamAnswer(status: 200, headers: [], body: Array(body.utf8))
    }
}

@Suite(.serialized)
struct ItemCacheTests {
    static let request = try! JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}}}"#)
    static let key: Item = ["id": .s("k")]

    func make(_ server: RedisServerProcess, clock: ManualClock, policy: CachePolicy = CachePolicy()) async throws
        -> (ItemCache, RedisClient)
    {
        var policies = CachePolicies()
        policies.defaultPolicy = policy
        return try await makeCache(server, clock: clock, policies: policies)
    }

    func read(_ cache: ItemCache, _ table: FakeTable) async throws -> (String?, CacheStatus) {
        let (answer, status) = try await cache.getItem(request: Self.request) { try await table.fetch($0) }
        let json = try JSONParser.parse(answer.body)
        return (json["Item"]?["v"]?["S"]?.stringValue, status)
    }

    @Test func policyWindows() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        var policy = CachePolicy()
        policy.staleTime = 1_000
        policy.staleWhileRevalidate = 1_000
        policy.staleIfError = 5_000
        policy.negativeTTL = 500
        let (cache, redis) = try await make(server, clock: clock, policy: policy)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v1")
        #expect(try await read(cache, table) == ("v1", .miss))
        #expect(try await read(cache, table) == ("v1", .hit))
        #expect(table.calls == 1)
        // Stale while revalidate: stale answers, one background refresh for many reads.
        table.set("v2")
        clock.advance(1_500)
        table.hold()
        for _ in 0..<5 { #expect(try await read(cache, table) == ("v1", .stale)) }
        await table.waitUntilArrived(1)
        #expect(table.calls == 2)  // five stale answers, one refresh (held at the gate)
        table.release()
        // the refresh stores v2 in the background: wait for it, with a deadline (reads made
        // meanwhile may be answered stale, and one arriving after the refresh read but before
        // it stored may start another: not counted here)
        #expect(
            await eventually {
                guard let answer = try? await read(cache, table) else { return false }
                return answer == ("v2", .hit)
            })
        // Stale if error: past the fresh window, the store fails, the old value is served.
        clock.advance(2_500)
        table.fail(true)
        #expect(try await read(cache, table) == ("v2", .stale))
        // ... but not past staleTime + staleIfError.
        clock.advance(5_000)
        let (answer, status) = try await cache.getItem(request: Self.request) { try await table.fetch($0) }
        #expect(answer.status == 500 && status == .miss)
        // Negative entries.
        table.fail(false)
        table.set(nil)
        let other = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"absent"}}}"#)
        let calls = table.calls
        #expect(try await cache.getItem(request: other) { try await table.fetch($0) }.1 == .miss)
        #expect(try await cache.getItem(request: other) { try await table.fetch($0) }.1 == .negative)
        clock.advance(600)
        #expect(try await cache.getItem(request: other) { try await table.fetch($0) }.1 == .miss)
        #expect(table.calls == calls + 2)
        // ConsistentRead and unknown parameters bypass.
        let consistent = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}},"ConsistentRead":true}"#)
        #expect(try await cache.getItem(request: consistent) { try await table.fetch($0) }.1 == .bypass)
        let legacy = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}},"AttributesToGet":["v"]}"#)
        #expect(try await cache.getItem(request: legacy) { try await table.fetch($0) }.1 == .bypass)
    }

    @Test func projectionsAreSeparateEntriesAndSpellingsShareOne() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v1")
        let a = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}},"ProjectionExpression":"v, id"}"#)
        let b = try JSONParser.parse(
            ##"{"TableName":"T","Key":{"id":{"S":"k"}},"ProjectionExpression":"#i, v","ExpressionAttributeNames":{"#i":"id"}}"##
        )
        #expect(try await cache.getItem(request: a) { try await table.fetch($0) }.1 == .miss)
        #expect(try await cache.getItem(request: b) { try await table.fetch($0) }.1 == .hit)
        #expect(try await read(cache, table).1 == .miss)  // the whole item is another variant
        // One invalidation drops every variant.
        await cache.invalidate(table: "T", keys: [Self.key])
        #expect(try await cache.getItem(request: a) { try await table.fetch($0) }.1 == .miss)
        #expect(try await read(cache, table).1 == .miss)
    }

    /// Race 1: a fill that started before a write must not store the old value after it.
    @Test func aFillWhoseLeaseWasInvalidatedStoresNothing() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        table.hold()
        let reader = Task { try await read(cache, table) }
        await table.waitUntilArrived(1)  // the reader has read "old" from the store
        table.set("new")
        await cache.invalidate(table: "T", keys: [Self.key])  // the write's invalidation
        table.release()
        #expect(try await reader.value == ("old", .miss))  // that reader saw the old value once...
        #expect(cache.stats.counters(table: "T", operation: "GetItem").fillsDropped == 1)
        #expect(try await read(cache, table) == ("new", .miss))  // ...but never stored it
    }

    /// Race 2: inside the tombstone after an invalidation, fills read with ConsistentRead.
    @Test func fillsInsideTheTombstoneAreConsistent() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        var policy = CachePolicy()
        policy.tombstone = 2_000
        let (cache, redis) = try await make(server, clock: clock, policy: policy)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v")
        _ = try await read(cache, table)
        await cache.invalidate(table: "T", keys: [Self.key])
        _ = try await read(cache, table)
        await cache.invalidate(table: "T", keys: [Self.key])
        clock.advance(2_500)
        _ = try await read(cache, table)
        #expect(table.consistentReads == [false, true, false])
    }

    /// Race 3: concurrent misses share one upstream read, but not across an invalidation.
    @Test func singleFlightRespectsInvalidations() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        table.hold()
        let first = Task { try await read(cache, table) }
        await table.waitUntilArrived(1)
        let joined = Task { try await read(cache, table) }
        #expect(await eventually { cache.stats.counters(table: "T", operation: "GetItem").sharedFills == 1 })
        #expect(table.calls == 1)  // the second read joined the flight
        table.set("new")
        await cache.invalidate(table: "T", keys: [Self.key])
        let after = Task { try await read(cache, table) }
        await table.waitUntilArrived(2)  // a new flight: it may not join the old one
        #expect(table.calls == 2)
        table.release()
        #expect(try await first.value.0 == "old")
        #expect(try await joined.value.0 == "old")
        #expect(try await after.value.0 == "new")
    }

    /// Race 4a: an invalidation Redis could not take is replayed before Redis is read again.
    @Test func lostInvalidationsAreReplayedBeforeReading() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        _ = try await read(cache, table)
        #expect(try await read(cache, table) == ("old", .hit))
        // Redis stops answering (paused) while the write's invalidation is sent.
        _ = try await redis.send(["CLIENT", "PAUSE", "600", "ALL"])
        table.set("new")
        await cache.invalidate(table: "T", keys: [Self.key])
        try await Task.sleep(nanoseconds: 700_000_000)
        #expect(await redis.waitUntilConnected())
        #expect(try await read(cache, table) == ("new", .miss))
    }

    /// Race 4b: a Redis that restarted (new run id) is flushed of this namespace before use,
    /// even when it kept its data on disk.
    @Test func aRestartedRedisIsNotTrusted() async throws {
        let directory = NSTemporaryDirectory() + "dc-redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try RedisServerProcess(directory: directory)
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("old")
        _ = try await read(cache, table)
        server.stop()
        table.set("new")
        await cache.invalidate(table: "T", keys: [Self.key])  // lost: Redis is down
        try server.start()  // comes back with the old entry from its append-only file
        // the new run id is known before the connection can be used (RedisReconnector's handshake)
        #expect(await redis.waitUntilConnected(timeoutSeconds: 10))
        #expect(try await read(cache, table) == ("new", .miss))
    }

    @Test func theEventLoopHitPathAnswersOnlyFreshEntries() async throws {
        let server = try RedisServerProcess()
        let clock = ManualClock()
        let (cache, redis) = try await make(server, clock: clock)
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v")
        _ = try await read(cache, table)
        guard let loop = redis.connection()?.eventLoop else {
            Issue.record("no connection")
            return
        }
        let hit = try await cache.freshHit(request: Self.request, on: loop)?.get()
        #expect(hit?.status == .hit)
        #expect(hit.map { String(decoding: $0.body, as: UTF8.self).contains("\"v\"") } == true)
        await cache.invalidate(table: "T", keys: [Self.key])
        #expect(try await cache.freshHit(request: Self.request, on: loop)?.get() == nil)
        _ = try await read(cache, table)
        clock.advance(CachePolicy().staleTime + 1)
        #expect(try await cache.freshHit(request: Self.request, on: loop)?.get() == nil)  // stale: full path
        let consistent = try JSONParser.parse(#"{"TableName":"T","Key":{"id":{"S":"k"}},"ConsistentRead":true}"#)
        #expect(cache.freshHit(request: consistent, on: loop) == nil)
    }

    @Test func redisDownMeansBypassNotErrors() async throws {
        let server = try RedisServerProcess()
        let (cache, redis) = try await make(server, clock: ManualClock())
        defer { Task { await redis.shutdown() } }
        let table = FakeTable()
        table.set("v")
        server.stop()
        for _ in 0..<3 { #expect(try await read(cache, table) == ("v", .bypass)) }
        await cache.invalidate(table: "T", keys: [Self.key])  // queued, no error
    }
}
