import DynamoModel
import EmbeddedStore
import Foundation
import TableStore

/// In-process cost of the embedded store: GetItem, PutItem and Query called directly on
/// `EmbeddedTableStore` (no HTTP), per call, on a fresh SQLite file.
enum StoreBenchmark {
    static func run() throws {
        let directory = NSTemporaryDirectory() + "dynacache-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedTableStore(directory: directory)
        func call(_ operation: String, _ body: String) -> TableStoreResponse {
            store.sendSynchronously(
                TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8))
            )
        }
        _ = call(
            "CreateTable",
            #"{"TableName":"Bench","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let count = 10_000
        let putStart = DispatchTime.now().uptimeNanoseconds
        for i in 0..<count {
            let r = call(
                "PutItem",
                #"{"TableName":"Bench","Item":{"pk":{"S":"user#\#(i % 100)"},"sk":{"N":"\#(i)"},"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"n":{"N":"36"}}}"#
            )
            precondition(r.status == 200)
        }
        let putMicros = Double(DispatchTime.now().uptimeNanoseconds - putStart) / Double(count) / 1000
        let getStart = DispatchTime.now().uptimeNanoseconds
        for i in 0..<count {
            let r = call("GetItem", #"{"TableName":"Bench","Key":{"pk":{"S":"user#\#(i % 100)"},"sk":{"N":"\#(i)"}}}"#)
            precondition(r.status == 200 && r.body.readableBytes > 10)
        }
        let getMicros = Double(DispatchTime.now().uptimeNanoseconds - getStart) / Double(count) / 1000
        let queries = 2_000
        let queryStart = DispatchTime.now().uptimeNanoseconds
        for i in 0..<queries {
            let r = call(
                "Query",
                #"{"TableName":"Bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"user#\#(i % 100)"}},"Limit":10}"#
            )
            precondition(r.status == 200)
        }
        let queryMicros = Double(DispatchTime.now().uptimeNanoseconds - queryStart) / Double(queries) / 1000
        print("embedded store, in process (no HTTP), \(BuildKind.name), \(count) items:")
        print(
            String(
                format: "  PutItem  %7.1f µs/call  (%6.0f/s, one SQLite transaction each, WAL)", putMicros,
                1e6 / putMicros))
        print(String(format: "  GetItem  %7.1f µs/call  (%6.0f/s)", getMicros, 1e6 / getMicros))
        print(String(format: "  Query    %7.1f µs/call  (%6.0f/s, 10 items a page)", queryMicros, 1e6 / queryMicros))
    }
}
