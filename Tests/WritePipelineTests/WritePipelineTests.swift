import DynamoModel
import EmbeddedStore
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import TableStore
import TestSupport
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
        _ store: any TableStore, invalidated: NIOLockedValueBox<[String]>, window: Double = 20,
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
        let embedded = try store()
        _ = try await call(
            embedded, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let gated = GatedTableStore(embedded)
        let invalidated = NIOLockedValueBox<[String]>([])
        // A window of a minute: a write that waited for it would not finish within the test.
        let writes = pipeline(gated, invalidated: invalidated, window: 60_000, sendWhenIdle: true)
        gated.close()
        let first = Task { try await writes.submit(Self.put("a")) }
        #expect(await eventually { gated.waiting == 1 })  // "a" went at once, and is held
        async let b = writes.submit(Self.put("b"))
        async let c = writes.submit(Self.put("c"))
        #expect(await eventually { writes.stats.counters.withLockedValue { $0.clientWrites } == 3 })
        gated.open()
        let answers = try await [first.value, b, c]
        #expect(answers.allSatisfy { $0.status == 200 })
        // "a" alone, at once; "b" and "c" queued behind it and sent together when it returned.
        let (batches, sizes) = writes.stats.counters.withLockedValue { ($0.batches, $0.itemsPerBatch) }
        #expect(batches == 2)
        #expect(sizes[0] == 1 && sizes[1] == 1)  // buckets "1" and "2-5"
        #expect(invalidated.withLockedValue { Set($0) } == ["a", "b", "c"])
        try await embedded.shutdown()
    }

    /// Submits `writes` so that they certainly share one batch: a first write ("gate") goes
    /// out alone and is held at the store until all of them are queued behind it.
    func submitTogether(_ writes: [PendingWrite], store: EmbeddedTableStore, invalidated: NIOLockedValueBox<[String]>)
        async throws -> (WritePipeline, [WriteAnswer])
    {
        let gated = GatedTableStore(store)
        let pipeline = pipeline(gated, invalidated: invalidated, window: 60_000, sendWhenIdle: true)
        gated.close()
        let gate = Task { try await pipeline.submit(Self.put("gate")) }
        #expect(await eventually { gated.waiting == 1 })
        let tasks = writes.map { write in Task { try await pipeline.submit(write) } }
        #expect(
            await eventually { pipeline.stats.counters.withLockedValue { $0.clientWrites } == writes.count + 1 })
        gated.open()
        _ = try await gate.value
        var answers: [WriteAnswer] = []
        for task in tasks { answers.append(try await task.value) }
        return (pipeline, answers)
    }

    @Test func aRefusedBatchFallsBackSoEachClientGetsItsOwnAnswer() async throws {
        let store = try store()
        _ = try await call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let invalidated = NIOLockedValueBox<[String]>([])
        // An item the proxy cannot tell is bad (a key too long for DynamoDB would be another):
        // here, a batch entry the store refuses, built by hand.
        var bad = Self.put("bad")
        bad.entry = try JSONParser.parse(#"{"PutRequest":{"Item":{"id":{"S":"bad"},"s":{"SS":["x","x"]}}}}"#)
        bad.body = Array(#"{"TableName":"Tab","Item":{"id":{"S":"bad"},"s":{"SS":["x","x"]}}}"#.utf8)
        let (writes, answers) = try await submitTogether(
            [Self.put("good"), bad], store: store, invalidated: invalidated)
        let (a, b) = (answers[0], answers[1])
        #expect(a.status == 200 && a.body == Array("{}".utf8))
        #expect(b.status == 400 && String(decoding: b.body, as: UTF8.self).contains("ValidationException"))
        // the gate's batch, then the shared one, refused whole and sent again as two single writes
        #expect(writes.stats.counters.withLockedValue { ($0.fallbacks, $0.batches) } == (2, 2))
        let item = try await call(store, "GetItem", #"{"TableName":"Tab","Key":{"id":{"S":"good"}}}"#)
        #expect(item["Item"] != nil)
        #expect(invalidated.withLockedValue { Set($0) } == ["gate", "good"])  // the refused write changed nothing
        try await store.shutdown()
    }

    @Test func unprocessedItemsAreResubmittedUntilWritten() async throws {
        let store = try store(burst: 1)
        _ = try await call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":4}}"#
        )
        let invalidated = NIOLockedValueBox<[String]>([])
        // the gate's write spends one of 4 units of burst; the 10 behind it meet in one batch,
        // of which 3 fit and the rest come back unprocessed (4 a second after that)
        let (writes, answers) = try await submitTogether(
            (0..<10).map { Self.put("k\($0)") }, store: store, invalidated: invalidated)
        #expect(answers.map(\.status) == Array(repeating: 200, count: 10))
        #expect(writes.stats.counters.withLockedValue { $0.resubmits } > 0)
        #expect(invalidated.withLockedValue { Set($0).count } == 11)
        let scan = try await call(store, "Scan", #"{"TableName":"Tab","ConsistentRead":true}"#)
        #expect(scan["Count"] == .number("11"))
        try await store.shutdown()
    }
}
