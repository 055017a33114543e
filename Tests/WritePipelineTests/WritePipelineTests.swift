import DynamoModel
import EmbeddedStore
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import TableStore
import Testing

@testable import WritePipeline

/// The pipeline against the real embedded store (no retry layer in between, so UnprocessedItems
/// and refusals reach it as DynamoDB sends them).
@Suite(.serialized)
struct WritePipelineTests {
    let directory = NSTemporaryDirectory() + "dc-writes-\(UUID().uuidString)"
    static let keys = KeyAttributes(names: ["id"], types: ["id": "S"])

    func store(burst: Double = 300) throws -> EmbeddedTableStore {
        var settings = EmbeddedStoreSettings()
        settings.capacityBurstSeconds = burst
        settings.ttlSweepIntervalSeconds = 0
        return try EmbeddedTableStore(directory: directory, settings: settings)
    }

    func call(_ store: EmbeddedTableStore, _ operation: String, _ body: String) async throws -> JSONValue {
        let r = try await store.send(
            TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8)))
        return try JSONParser.parse(Array(r.body.readableBytesView))
    }

    /// `sendWhenIdle` off unless asked: most tests need writes submitted together to share a batch.
    func pipeline(
        _ store: EmbeddedTableStore, invalidated: NIOLockedValueBox<[String]>, window: Double = 20,
        sendWhenIdle: Bool = false
    ) -> WritePipeline {
        var policies = WritePolicies()
        policies.defaultSettings.windowMilliseconds = window
        policies.defaultSettings.sendWhenIdle = sendWhenIdle
        return WritePipeline(
            store: store, policies: policies, eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            deadlineSeconds: 5
        ) { _, writes in
            invalidated.withLockedValue { list in
                for write in writes { if case .s(let id)? = write.key["id"] { list.append(id) } }
            }
        }
    }

    static func put(_ id: String, extra: String = "") -> PendingWrite {
        let text = #"{"TableName":"Tab","Item":{"id":{"S":"\#(id)"}\#(extra)}}"#
        return WriteBatchability.decide(
            operation: "PutItem", body: Array(text.utf8), json: try! JSONParser.parse(text), keys: keys)!
    }

    @Test func aWriteToAnIdleTableGoesAtOnceAndWritesDuringItsFlightShareTheNextBatch() async throws {
        var settings = EmbeddedStoreSettings()
        settings.ttlSweepIntervalSeconds = 0
        settings.latencyMilliseconds = 300  // the first batch is out this long
        let store = try EmbeddedTableStore(directory: directory, settings: settings)
        _ = try await call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let invalidated = NIOLockedValueBox<[String]>([])
        // A window of a minute: a write that waited for it would not finish within the test.
        let writes = pipeline(store, invalidated: invalidated, window: 60_000, sendWhenIdle: true)
        let first = Task { try await writes.submit(Self.put("a")) }
        try await Task.sleep(nanoseconds: 30_000_000)  // sequencing only: "a" is out by now
        async let b = writes.submit(Self.put("b"))
        async let c = writes.submit(Self.put("c"))
        let answers = try await [first.value, b, c]
        #expect(answers.allSatisfy { $0.status == 200 })
        // "a" alone, at once; "b" and "c" queued behind it and sent together when it returned.
        let (batches, sizes) = writes.stats.counters.withLockedValue { ($0.batches, $0.itemsPerBatch) }
        #expect(batches == 2)
        #expect(sizes[0] == 1 && sizes[1] == 1)  // buckets "1" and "2-5"
        #expect(invalidated.withLockedValue { Set($0) } == ["a", "b", "c"])
        try await store.shutdown()
    }

    @Test func aRefusedBatchFallsBackSoEachClientGetsItsOwnAnswer() async throws {
        let store = try store()
        _ = try await call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let invalidated = NIOLockedValueBox<[String]>([])
        let writes = pipeline(store, invalidated: invalidated)
        // An item the proxy cannot tell is bad (a key too long for DynamoDB would be another):
        // here, a batch entry the store refuses, built by hand.
        var bad = Self.put("bad")
        bad.entry = try JSONParser.parse(#"{"PutRequest":{"Item":{"id":{"S":"bad"},"s":{"SS":["x","x"]}}}}"#)
        bad.body = Array(#"{"TableName":"Tab","Item":{"id":{"S":"bad"},"s":{"SS":["x","x"]}}}"#.utf8)
        async let good = writes.submit(Self.put("good"))
        async let refused = writes.submit(bad)
        let (a, b) = try await (good, refused)
        #expect(a.status == 200 && a.body == Array("{}".utf8))
        #expect(b.status == 400 && String(decoding: b.body, as: UTF8.self).contains("ValidationException"))
        #expect(writes.stats.counters.withLockedValue { ($0.fallbacks, $0.batches) } == (2, 1))
        let item = try await call(store, "GetItem", #"{"TableName":"Tab","Key":{"id":{"S":"good"}}}"#)
        #expect(item["Item"] != nil)
        #expect(invalidated.withLockedValue { Set($0) } == ["good"])  // the refused write changed nothing
        try await store.shutdown()
    }

    @Test func unprocessedItemsAreResubmittedUntilWritten() async throws {
        let store = try store(burst: 1)
        _ = try await call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":4}}"#
        )
        let invalidated = NIOLockedValueBox<[String]>([])
        let writes = pipeline(store, invalidated: invalidated)
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<10 { group.addTask { try await writes.submit(Self.put("k\(i)")).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers == Array(repeating: 200, count: 10))  // 4 of burst, then 4 a second
        #expect(writes.stats.counters.withLockedValue { $0.resubmits } > 0)
        #expect(invalidated.withLockedValue { Set($0).count } == 10)
        let scan = try await call(store, "Scan", #"{"TableName":"Tab","ConsistentRead":true}"#)
        #expect(scan["Count"] == .number("10"))
        try await store.shutdown()
    }
}
