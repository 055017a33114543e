import DynamoModel
import Testing

@testable import ChangeStream

struct ShardLineageTests {
    @Test func parentsBeforeChildrenAndTrimmedParentsDoNotBlock() {
        var lineage = ShardLineage()
        lineage.learn([("a", nil), ("b", "a"), ("c", "b"), ("x", "gone")])
        #expect(lineage.readable == ["a", "x"])  // x's parent was trimmed away
        lineage.finished("a")
        #expect(lineage.readable == ["b", "x"])
        lineage.finished("b")
        lineage.learn([("b", "a"), ("c", "b"), ("d", "c")])  // listed again: state kept
        #expect(lineage.readable == ["c", "x"])
        lineage.forget(except: ["c", "d", "x"])  // a and b trimmed, and done
        #expect(lineage.order == ["c", "x", "d"])
        #expect(lineage.readable == ["c", "x"])  // d waits for c
    }
}

struct StreamRecordInvalidationTests {
    func record(_ event: String, _ view: String, new: String? = nil, old: String? = nil) -> JSONValue {
        var change: [String: JSONValue] = [
            "Keys": try! JSONParser.parse(#"{"pk":{"S":"a"}}"#), "StreamViewType": .string(view),
        ]
        if let new { change["NewImage"] = try! JSONParser.parse(new) }
        if let old { change["OldImage"] = try! JSONParser.parse(old) }
        return .object(["eventName": .string(event), "dynamodb": .object(change)])
    }

    @Test func imagesAreKnownOnlyWhenTheRecordCarriesAllThatChanged() {
        let n = #"{"pk":{"S":"a"},"g":{"S":"new"}}"#
        let o = #"{"pk":{"S":"a"},"g":{"S":"old"}}"#
        let both = StreamRecordInvalidation.write(record("MODIFY", "NEW_AND_OLD_IMAGES", new: n, old: o))
        #expect(both?.key == ["pk": .s("a")] && both?.images?.count == 2)
        #expect(StreamRecordInvalidation.write(record("INSERT", "NEW_IMAGE", new: n))?.images?.count == 1)
        #expect(StreamRecordInvalidation.write(record("MODIFY", "NEW_IMAGE", new: n))?.images == nil)
        #expect(StreamRecordInvalidation.write(record("REMOVE", "OLD_IMAGE", old: o))?.images?.count == 1)
        #expect(StreamRecordInvalidation.write(record("MODIFY", "KEYS_ONLY"))?.images == nil)
        #expect(StreamRecordInvalidation.write(.object(["dynamodb": .object([:])])) == nil)
    }
}
