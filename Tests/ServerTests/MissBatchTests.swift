import DynamoModel
import Testing

@testable import Server

struct MissBatchTests {
    @Test func duplicateKeysShareASlotAndTheLimitIsReported() throws {
        var batch = MissBatch<Int>()
        let one = try DynamoNumber(parsing: "1")
        let oneAgain = try DynamoNumber(parsing: "1.0")
        let full = [
            batch.add(key: ["pk": .s("a"), "sk": .n(one)], waiter: 1, limit: 3),
            batch.add(key: ["sk": .n(oneAgain), "pk": .s("a")], waiter: 2, limit: 3),  // the same key
            batch.add(key: ["pk": .s("b"), "sk": .n(one)], waiter: 3, limit: 3),
        ]
        #expect(full == [false, false, false])
        #expect(batch.slots.count == 2 && batch.slots[0].waiters == [1, 2])
        let nowFull = batch.add(key: ["pk": .s("c"), "sk": .n(one)], waiter: 4, limit: 3)
        #expect(nowFull)
    }

    @Test func answersAreMatchedByTheKeyAttributes() throws {
        var batch = MissBatch<Int>()
        _ = batch.add(key: ["pk": .s("a")], waiter: 1, limit: 100)
        _ = batch.add(key: ["pk": .s("b")], waiter: 2, limit: 100)
        let items = [
            try JSONParser.parse(#"{"pk":{"S":"b"},"v":{"S":"x"}}"#), try JSONParser.parse(#"{"v":{"S":"no key"}}"#),
        ]
        let found = MissBatch<Int>.match(items, to: batch.slots)
        #expect(found.count == 1)
        #expect(found[CanonicalBytes(key: ["pk": .s("b")])]?["v"]?["S"]?.stringValue == "x")
        #expect(found[CanonicalBytes(key: ["pk": .s("a")])] == nil)
    }
}
