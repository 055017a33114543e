import DynamoModel
import Testing

@testable import WritePipeline

struct WriteQueueTests {
    typealias Queue = WriteQueue<Int>

    func enqueue(_ q: inout Queue, _ w: PendingWrite, _ waiter: Int, _ sequence: UInt64, _ coalesce: Bool) -> Bool {
        q.enqueue(w, waiter: waiter, sequence: sequence, coalesce: coalesce)
    }

    func next(_ q: inout Queue, _ maxItems: Int = 25, _ maxBytes: Int = 1 << 24) -> [Queue.Entry] {
        q.nextBatch(maxItems: maxItems, maxBytes: maxBytes)
    }

    func runnable(_ q: inout Queue) -> [UInt64] { q.runnableBarriers() }

    static let keys = KeyAttributes(names: ["id"], types: ["id": "S"])

    static func write(_ id: String, _ v: String = "x") -> PendingWrite {
        let json = try! JSONParser.parse(#"{"TableName":"T","Item":{"id":{"S":"\#(id)"},"v":{"S":"\#(v)"}}}"#)
        return WriteBatchability.decide(operation: "PutItem", body: [], json: json, keys: keys)!
    }

    @Test func batchesTakeOneEntryPerKeyInOrderAndSkipBusyKeys() {
        var queue = WriteQueue<Int>()
        for (i, id) in ["a", "b", "a", "c"].enumerated() {
            #expect(!enqueue(&queue, Self.write(id, "\(i)"), i, UInt64(i + 1), false))
        }
        #expect(queue.sendable == 3)
        let first = next(&queue)
        #expect(first.map(\.waiters) == [[0], [1], [3]])  // the second "a" waits for the next batch
        let second = next(&queue)  // which may go while the first is in flight
        #expect(second.map(\.waiters) == [[2]])
        queue.release(first.map(\.write.canonicalKey))
        #expect(second[0].write.newImage?["v"] == .s("2"))
        queue.release(second.map(\.write.canonicalKey))
        #expect(queue.isIdle)
    }

    @Test func limitsAreRespected() {
        var queue = WriteQueue<Int>()
        for i in 0..<30 { _ = enqueue(&queue, Self.write("k\(i)"), i, UInt64(i + 1), false) }
        #expect(next(&queue).count == 25)
        #expect(next(&queue, 25, 1).count == 1)  // one oversized entry still goes alone
        #expect(queue.entries.count == 4)
    }

    @Test func coalescingFoldsIntoTheQueuedWriteButNotAcrossABarrier() {
        var queue = WriteQueue<Int>()
        #expect(!enqueue(&queue, Self.write("a", "1"), 1, 1, true))
        #expect(enqueue(&queue, Self.write("a", "2"), 2, 2, true))
        queue.register(.init(sequence: 3, keys: [Self.write("a").canonicalKey]))
        #expect(!enqueue(&queue, Self.write("a", "4"), 4, 4, true))
        let batch = next(&queue)
        #expect(batch.count == 1 && batch[0].waiters == [1, 2] && batch[0].write.newImage?["v"] == .s("2"))
        #expect(runnable(&queue).isEmpty)  // "a" is in flight
        #expect(next(&queue).isEmpty)  // the barrier came first
        queue.release(batch.map(\.write.canonicalKey))
        #expect(runnable(&queue) == [3])
        #expect(next(&queue).isEmpty)  // the pass-through holds "a"
        queue.releaseHeld([Self.write("a").canonicalKey])
        #expect(next(&queue).map(\.waiters) == [[4]])
    }

    @Test func whatMayBeBatched() throws {
        func decide(_ operation: String, _ text: String) throws -> PendingWrite? {
            WriteBatchability.decide(operation: operation, body: [], json: try JSONParser.parse(text), keys: Self.keys)
        }
        #expect(try decide("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"}},"ReturnValues":"NONE"}"#) != nil)
        #expect(try decide("DeleteItem", #"{"TableName":"T","Key":{"id":{"S":"a"}}}"#)?.newImage == nil)
        for (operation, text) in [
            ("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"}},"ConditionExpression":"attribute_not_exists(id)"}"#),
            ("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"}},"ReturnValues":"ALL_OLD"}"#),
            ("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"}},"ReturnConsumedCapacity":"TOTAL"}"#),
            ("PutItem", #"{"TableName":"T","Item":{"id":{"N":"1"}}}"#),  // wrong key type
            ("PutItem", #"{"TableName":"T","Item":{"id":{"S":""}}}"#),  // empty key
            ("PutItem", #"{"TableName":"T","Item":{"v":{"S":"no key"}}}"#),
            ("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"}},"Expected":{}}"#),
            ("DeleteItem", #"{"TableName":"T","Key":{"id":{"S":"a"},"other":{"S":"b"}}}"#),
            ("UpdateItem", #"{"TableName":"T","Key":{"id":{"S":"a"}}}"#),
        ] {
            #expect(try decide(operation, text) == nil, "\(text)")
        }
        let big = String(repeating: "x", count: 410 * 1024)
        #expect(try decide("PutItem", #"{"TableName":"T","Item":{"id":{"S":"a"},"v":{"S":"\#(big)"}}}"#) == nil)
    }
}
