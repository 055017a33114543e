import DynamoModel
import EmbeddedStore
import Foundation
import TableStore

/// Secondary indexes in the embedded store, in process: Query on a GSI vs the same Query on the
/// base table, and PutItem with 0, 1 and 3 GSIs, same run.
enum IndexBenchmark {
    static func run() throws {
        let directory = NSTemporaryDirectory() + "dynacache-index-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedTableStore(directory: directory)
        func call(_ operation: String, _ body: String) -> TableStoreResponse {
            let r = store.sendSynchronously(
                TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8))
            )
            if r.status != 200 { fatalError("\(operation) failed: \(String(buffer: r.body))") }
            return r
        }
        func create(_ name: String, gsis: Int) {
            let attributes = (0..<gsis).map { #",{"AttributeName":"g\#($0)","AttributeType":"S"}"# }.joined()
            let indexes = (0..<gsis).map {
                #"{"IndexName":"Gsi\#($0)","KeySchema":[{"AttributeName":"g\#($0)","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}"#
            }.joined(separator: ",")
            _ = call(
                "CreateTable",
                #"{"TableName":"\#(name)","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}\#(attributes)],"BillingMode":"PAY_PER_REQUEST"\#(gsis > 0 ? #","GlobalSecondaryIndexes":[\#(indexes)]"# : "")}"#
            )
        }
        let count = 5_000
        print("secondary indexes, embedded store in process, \(BuildKind.name), \(count) PutItems per table:")
        var putCost: [Int: Double] = [:]
        for gsis in [0, 1, 3] {
            let name = "Bench\(gsis)"
            create(name, gsis: gsis)
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<count {
                let extra = (0..<gsis).map { #","g\#($0)":{"S":"acct\#(i % 50)"}"# }.joined()
                _ = call(
                    "PutItem",
                    #"{"TableName":"\#(name)","Item":{"pk":{"S":"user\#(i % 50)"},"sk":{"N":"\#(i)"},"name":{"S":"Ada Lovelace"}\#(extra)}}"#
                )
            }
            putCost[gsis] = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(count) / 1000
        }
        for gsis in [0, 1, 3] {
            print(
                String(
                    format: "  PutItem with %d GSIs: %6.1f µs/call (%.2fx the cost without GSIs)", gsis, putCost[gsis]!,
                    putCost[gsis]! / putCost[0]!))
        }
        let queries = 2_000
        func time(_ body: (Int) -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<queries { body(i) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(queries) / 1000
        }
        let base = time { i in
            _ = call(
                "Query",
                #"{"TableName":"Bench1","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"user\#(i % 50)"}},"Limit":10}"#
            )
        }
        let gsi = time { i in
            _ = call(
                "Query",
                #"{"TableName":"Bench1","IndexName":"Gsi0","KeyConditionExpression":"g0 = :p","ExpressionAttributeValues":{":p":{"S":"acct\#(i % 50)"}},"Limit":10}"#
            )
        }
        print(
            String(
                format: "  Query (10 items) on the base table: %6.1f µs/call; on a GSI: %6.1f µs/call (%.2fx)", base,
                gsi, gsi / base))
    }
}
