import DynamoModel
import EmbeddedStore
import Foundation
import TableStore

/// Streams in the embedded store, in process: PutItem and UpdateItem on a table with a
/// NEW_AND_OLD_IMAGES stream vs the same calls on a table without one, interleaved in rounds in
/// the same run; then GetRecords throughput reading the stream back 1,000 records a call.
enum StreamBenchmark {
    static func run() throws {
        let directory = NSTemporaryDirectory() + "dynacache-stream-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedTableStore(directory: directory)
        func call(_ operation: String, _ body: String, streams: Bool = false) -> JSONValue {
            let r = store.sendSynchronously(
                TableStoreRequest(
                    operation: Operation(family: streams ? .streams : .dynamoDB, name: operation),
                    body: Array(body.utf8))
            )
            if r.status != 200 { fatalError("\(operation) failed: \(String(buffer: r.body))") }
            return try! JSONParser.parse(Array(r.body.readableBytesView))
        }
        func create(_ name: String, stream: Bool) -> String? {
            let spec =
                stream ? #","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}"# : ""
            let answer = call(
                "CreateTable",
                #"{"TableName":"\#(name)","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"\#(spec)}"#
            )
            return answer["TableDescription"]?["LatestStreamArn"]?.stringValue
        }
        _ = create("Plain", stream: false)
        let arn = create("Streamed", stream: true)!
        let perRound = 2_000
        var cost: [String: Double] = ["Plain": 0, "Streamed": 0]
        print("streams, embedded store in process, \(BuildKind.name), 3 rounds x \(perRound) writes per table:")
        for round in 0..<3 {
            for table in round % 2 == 0 ? ["Plain", "Streamed"] : ["Streamed", "Plain"] {
                let start = DispatchTime.now().uptimeNanoseconds
                for i in 0..<perRound {
                    let key = "user\(round * perRound + i)"
                    _ = call(
                        "PutItem",
                        #"{"TableName":"\#(table)","Item":{"pk":{"S":"\#(key)"},"name":{"S":"Ada Lovelace"},"n":{"N":"1"}}}"#
                    )
                    _ = call(
                        "UpdateItem",
                        #"{"TableName":"\#(table)","Key":{"pk":{"S":"\#(key)"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}"#
                    )
                }
                cost[table]! += Double(DispatchTime.now().uptimeNanoseconds - start) / Double(2 * perRound) / 1000 / 3
            }
        }
        print(
            String(
                format: "  write without a stream %6.1f µs/call; with NEW_AND_OLD_IMAGES %6.1f µs/call (%.2fx)",
                cost["Plain"]!, cost["Streamed"]!, cost["Streamed"]! / cost["Plain"]!))

        let shards =
            call("DescribeStream", #"{"StreamArn":"\#(arn)"}"#, streams: true)["StreamDescription"]?[
                "Shards"]?.arrayValue ?? []
        let start = DispatchTime.now().uptimeNanoseconds
        var read = 0
        var calls = 0
        for shard in shards {
            var iterator = call(
                "GetShardIterator",
                #"{"StreamArn":"\#(arn)","ShardId":"\#(shard["ShardId"]!.stringValue!)","ShardIteratorType":"TRIM_HORIZON"}"#,
                streams: true)["ShardIterator"]?.stringValue
            while let it = iterator {
                let page = call("GetRecords", #"{"ShardIterator":"\#(it)"}"#, streams: true)
                calls += 1
                let records = page["Records"]?.arrayValue ?? []
                read += records.count
                iterator = records.isEmpty ? nil : page["NextShardIterator"]?.stringValue
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(
            String(
                format: "  GetRecords: %d records in %d calls, %.0f records/s (%.1f ms per call of up to 1,000)", read,
                calls, Double(read) / seconds, seconds * 1000 / Double(calls)))
    }
}
