import DynamoModel
import Foundation
import NIOCore
import TableStore
import Testing

@testable import EmbeddedStore

/// Stream records written with their changes, against the engine directly (a real SQLite file).
struct StreamRecordTests {
    let directory = NSTemporaryDirectory() + "dc-streams-\(UUID().uuidString)"

    @discardableResult
    func call(_ store: EmbeddedTableStore, _ operation: String, _ body: String, streams: Bool = false) throws -> (
        Int, JSONValue
    ) {
        let response = store.sendSynchronously(
            TableStoreRequest(
                operation: Operation(family: streams ? .streams : .dynamoDB, name: operation), body: Array(body.utf8))
        )
        return (response.status, try JSONParser.parse(Array(response.body.readableBytesView)))
    }

    func records(_ store: EmbeddedTableStore, _ arn: String) throws -> [JSONValue] {
        let (_, described) = try call(store, "DescribeStream", #"{"StreamArn":"\#(arn)"}"#, streams: true)
        var out: [JSONValue] = []
        for shard in described["StreamDescription"]?["Shards"]?.arrayValue ?? [] {
            let id = shard["ShardId"]!.stringValue!
            let (_, it) = try call(
                store, "GetShardIterator",
                #"{"StreamArn":"\#(arn)","ShardId":"\#(id)","ShardIteratorType":"TRIM_HORIZON"}"#, streams: true)
            let (_, page) = try call(
                store, "GetRecords", #"{"ShardIterator":"\#(it["ShardIterator"]!.stringValue!)"}"#, streams: true)
            out += page["Records"]?.arrayValue ?? []
        }
        return out
    }

    @Test func aFailedTransactionLeavesNoRecordAndANoOpWriteNone() throws {
        let store = try EmbeddedTableStore(directory: directory)
        let (status, created) = try call(
            store, "CreateTable",
            #"{"TableName":"Tab","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}"#
        )
        #expect(status == 200)
        let arn = try #require(created["TableDescription"]?["LatestStreamArn"]?.stringValue)
        try call(store, "PutItem", #"{"TableName":"Tab","Item":{"id":{"S":"a"},"n":{"N":"1"}}}"#)
        try call(store, "PutItem", #"{"TableName":"Tab","Item":{"id":{"S":"a"},"n":{"N":"1.0"}}}"#)  // the same item
        let (failed, _) = try call(
            store, "TransactWriteItems",
            #"{"TransactItems":[{"Put":{"TableName":"Tab","Item":{"id":{"S":"b"}}}},{"ConditionCheck":{"TableName":"Tab","Key":{"id":{"S":"a"}},"ConditionExpression":"attribute_not_exists(id)"}}]}"#
        )
        #expect(failed == 400)
        let (conditional, _) = try call(
            store, "PutItem",
            #"{"TableName":"Tab","Item":{"id":{"S":"c"}},"ConditionExpression":"attribute_exists(id)"}"#)
        #expect(conditional == 400)
        let list = try records(store, arn)
        #expect(list.count == 1)
        #expect(list.first?["eventName"] == .string("INSERT"))
        #expect(list.first?["dynamodb"]?["NewImage"]?["n"]?["N"] == .string("1"))
        #expect(list.first?["dynamodb"]?["OldImage"] == nil)
    }

    @Test func iteratorsAndSequenceNumbersRoundTrip() throws {
        let iterator = ShardIterator(
            streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2026-11-26T00:00:00.000",
            shardId: "shardId-1", after: 42, issuedAtMilliseconds: 1_700_000_000_000)
        #expect(try ShardIterator(text: iterator.text) == iterator)
        #expect(iterator.text.hasPrefix(iterator.streamArn + "|1|"))
        #expect(throws: DynamoError.self) { try ShardIterator(text: "garbage") }
        #expect(throws: DynamoError.self) { try ShardIterator(text: "arn|1|!!!") }
        #expect(SequenceNumber.text(7) == "100000000000000000007")
        #expect(SequenceNumber.parse(SequenceNumber.text(123_456)) == 123_456)
        #expect(SequenceNumber.parse("7") == nil)
        #expect(SequenceNumber.text(9) < SequenceNumber.text(10))
    }

    @Test func streamSpecificationsAreChecked() throws {
        func spec(_ text: String) throws(DynamoError) -> TableStream.ViewType?? {
            try TableStream.specification(try! JSONParser.parse(text))
        }
        #expect(try spec("{}") == nil)
        #expect(try spec(#"{"StreamSpecification":{"StreamEnabled":false}}"#) == .some(nil))
        #expect(try spec(#"{"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}"#) == .keysOnly)
        #expect(throws: DynamoError.self) { try spec(#"{"StreamSpecification":{"StreamEnabled":true}}"#) }
        #expect(throws: DynamoError.self) {
            try spec(#"{"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"ALL"}}"#)
        }
        #expect(throws: DynamoError.self) { try spec(#"{"StreamSpecification":{"StreamViewType":"KEYS_ONLY"}}"#) }
    }
}
