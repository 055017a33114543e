import DynamoModel
import Foundation
import Testing

@testable import EmbeddedStore

/// The TTL sweeper against the engine with an injected clock (a real SQLite file): what is
/// deleted, when, and how the deletion shows in the stream.
struct TimeToLiveSweepTests {
    let directory = NSTemporaryDirectory() + "dc-ttl-\(UUID().uuidString)"
    /// The engine's clock, moved by the test (the engine runs on the test's thread).
    final class ManualTime {
        var seconds: Double = 1_800_000_000
    }
    let clock = ManualTime()

    func engine() throws -> EmbeddedEngine {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clock = self.clock
        return try EmbeddedEngine(path: directory + "/ttl.sqlite") { clock.seconds }
    }

    @discardableResult
    func call(_ engine: EmbeddedEngine, _ operation: String, _ body: String, streams: Bool = false) throws -> JSONValue
    {
        let response = engine.handle(operation, try JSONParser.parse(Array(body.utf8)), streams: streams)
        let json = response.body
        #expect(response.status == 200, "\(operation): \(json)")
        return json
    }

    func ids(_ engine: EmbeddedEngine) throws -> Set<String> {
        let scan = try call(engine, "Scan", #"{"TableName":"Ttl","ConsistentRead":true}"#)
        return Set((scan["Items"]?.arrayValue ?? []).compactMap { $0["id"]?["S"]?.stringValue })
    }

    @Test func expiredItemsAreDeletedByTheServiceAndOnlyThose() throws {
        let engine = try engine()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try call(
            engine, "CreateTable",
            #"{"TableName":"Ttl","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"OLD_IMAGE"}}"#
        )
        try call(
            engine, "UpdateTimeToLive",
            #"{"TableName":"Ttl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}"#)
        let now = Int(clock.seconds)
        for (id, exp) in [
            ("soon", #"{"N":"\#(now + 60)"}"#),  // expires in a minute
            ("past", #"{"N":"\#(now - 60)"}"#),  // already expired
            ("ancient", #"{"N":"\#(now - 6 * 365 * 86_400)"}"#),  // > 5 years ago: never expires
            ("text", #"{"S":"\#(now - 60)"}"#),  // not a number: no TTL
            ("none", nil),
        ] as [(String, String?)] {
            let attribute = exp.map { #","exp":\#($0)"# } ?? ""
            try call(engine, "PutItem", #"{"TableName":"Ttl","Item":{"id":{"S":"\#(id)"}\#(attribute)}}"#)
        }
        // expired but not yet swept: still readable, as in DynamoDB
        #expect(try ids(engine) == ["soon", "past", "ancient", "text", "none"])
        #expect(try engine.sweepExpiredItems() == 1)
        #expect(try ids(engine) == ["soon", "ancient", "text", "none"])
        #expect(try engine.sweepExpiredItems() == 0)
        clock.seconds += 61
        #expect(try engine.sweepExpiredItems() == 1)
        #expect(try ids(engine) == ["ancient", "text", "none"])
        // each deletion is a REMOVE record by the DynamoDB service, with the old image
        let arn =
            try call(engine, "DescribeTable", #"{"TableName":"Ttl"}"#)["Table"]?["LatestStreamArn"]?.stringValue ?? ""
        let shards = try call(engine, "DescribeStream", #"{"StreamArn":"\#(arn)"}"#, streams: true)
        var removes: [JSONValue] = []
        for shard in shards["StreamDescription"]?["Shards"]?.arrayValue ?? [] {
            let id = shard["ShardId"]?.stringValue ?? ""
            let iterator = try call(
                engine, "GetShardIterator",
                #"{"StreamArn":"\#(arn)","ShardId":"\#(id)","ShardIteratorType":"TRIM_HORIZON"}"#, streams: true)
            let page = try call(
                engine, "GetRecords", #"{"ShardIterator":"\#(iterator["ShardIterator"]?.stringValue ?? "")"}"#,
                streams: true)
            removes += (page["Records"]?.arrayValue ?? []).filter { $0["eventName"] == .string("REMOVE") }
        }
        #expect(removes.compactMap { $0["dynamodb"]?["OldImage"]?["id"]?["S"]?.stringValue } == ["past", "soon"])
        for record in removes {
            #expect(record["userIdentity"]?["Type"] == .string("Service"))
            #expect(record["userIdentity"]?["PrincipalId"] == .string("dynamodb.amazonaws.com"))
        }
    }

    @Test func aSweepDeletesAtMostItsLimit() throws {
        let engine = try engine()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try call(
            engine, "CreateTable",
            #"{"TableName":"Ttl","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        try call(
            engine, "UpdateTimeToLive",
            #"{"TableName":"Ttl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}"#)
        let past = Int(clock.seconds) - 1
        for i in 0..<5 {
            try call(engine, "PutItem", #"{"TableName":"Ttl","Item":{"id":{"S":"k\#(i)"},"exp":{"N":"\#(past)"}}}"#)
        }
        #expect(try engine.sweepExpiredItems(limit: 3) == 3)
        #expect(try engine.sweepExpiredItems(limit: 3) == 2)
        #expect(try ids(engine).isEmpty)
    }
}
