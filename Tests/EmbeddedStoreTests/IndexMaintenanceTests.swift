import DynamoModel
import Foundation
import NIOCore
import TableStore
import Testing

@testable import EmbeddedStore

/// Index maintenance on every write path, against the engine directly (a real SQLite file).
struct IndexMaintenanceTests {
    let directory = NSTemporaryDirectory() + "dc-index-\(UUID().uuidString)"

    func store(limit: Int = 10 * 1024 * 1024 * 1024) throws -> EmbeddedTableStore {
        try EmbeddedTableStore(directory: directory, itemCollectionLimitBytes: limit)
    }

    @discardableResult
    func call(_ store: EmbeddedTableStore, _ operation: String, _ body: String) throws -> (Int, JSONValue) {
        let response = store.sendSynchronously(
            TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8))
        )
        return (response.status, try JSONParser.parse(Array(response.body.readableBytesView)))
    }

    func create(_ store: EmbeddedTableStore) throws {
        let (status, body) = try call(
            store,
            "CreateTable",
            #"{"TableName":"Jobs","KeySchema":[{"AttributeName":"id","KeyType":"HASH"},{"AttributeName":"run","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},{"AttributeName":"run","AttributeType":"N"},{"AttributeName":"acct","AttributeType":"S"},{"AttributeName":"at","AttributeType":"N"}],"GlobalSecondaryIndexes":[{"IndexName":"ByAcct","KeySchema":[{"AttributeName":"acct","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},{"IndexName":"ByAcctNote","KeySchema":[{"AttributeName":"acct","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["note"]}}],"LocalSecondaryIndexes":[{"IndexName":"ByAt","KeySchema":[{"AttributeName":"id","KeyType":"HASH"},{"AttributeName":"at","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        #expect(status == 200, "\(body)")
    }

    func ids(_ store: EmbeddedTableStore, acct: String, index: String = "ByAcct") throws -> [String] {
        let (_, body) = try call(
            store,
            "Query",
            #"{"TableName":"Jobs","IndexName":"\#(index)","KeyConditionExpression":"acct = :a","ExpressionAttributeValues":{":a":{"S":"\#(acct)"}}}"#
        )
        return (body["Items"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?["S"]?.stringValue, let run = item["run"]?["N"]?.stringValue else { return nil }
            return "\(id)/\(run)"
        }.sorted()
    }

    @Test func everyWritePathKeepsTheIndexesInStep() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try store()
        try create(store)
        try call(
            store, "PutItem",
            #"{"TableName":"Jobs","Item":{"id":{"S":"a"},"run":{"N":"1"},"acct":{"S":"x"},"note":{"S":"n"},"big":{"S":"b"}}}"#
        )
        try call(
            store, "PutItem", #"{"TableName":"Jobs","Item":{"id":{"S":"b"},"run":{"N":"1"},"note":{"S":"sparse"}}}"#)
        #expect(try ids(store, acct: "x") == ["a/1"])
        // Projections: KEYS_ONLY keeps keys; INCLUDE adds the listed attribute.
        let (_, keysOnly) = try call(
            store, "Query",
            #"{"TableName":"Jobs","IndexName":"ByAcct","KeyConditionExpression":"acct = :a","ExpressionAttributeValues":{":a":{"S":"x"}}}"#
        )
        #expect(Set(keysOnly["Items"]?.arrayValue?.first?.objectValue?.keys ?? [:].keys) == ["id", "run", "acct"])
        let (_, included) = try call(
            store, "Query",
            #"{"TableName":"Jobs","IndexName":"ByAcctNote","KeyConditionExpression":"acct = :a","ExpressionAttributeValues":{":a":{"S":"x"}}}"#
        )
        #expect(
            Set(included["Items"]?.arrayValue?.first?.objectValue?.keys ?? [:].keys) == ["id", "run", "acct", "note"])
        // Update moves the item to another partition of the index.
        try call(
            store, "UpdateItem",
            #"{"TableName":"Jobs","Key":{"id":{"S":"a"},"run":{"N":"1"}},"UpdateExpression":"SET acct = :y","ExpressionAttributeValues":{":y":{"S":"y"}}}"#
        )
        #expect(try ids(store, acct: "x") == [])
        #expect(try ids(store, acct: "y") == ["a/1"])
        // ... and out of the index when the key attribute goes.
        try call(
            store, "UpdateItem",
            #"{"TableName":"Jobs","Key":{"id":{"S":"a"},"run":{"N":"1"}},"UpdateExpression":"REMOVE acct"}"#)
        #expect(try ids(store, acct: "y") == [])
        // A key attribute of the wrong type keeps the item out (sparse by type).
        try call(
            store, "UpdateItem",
            #"{"TableName":"Jobs","Key":{"id":{"S":"a"},"run":{"N":"1"}},"UpdateExpression":"SET acct = :n","ExpressionAttributeValues":{":n":{"N":"1"}}}"#
        )
        #expect(try ids(store, acct: "1") == [])
        // Batch writes and transactions.
        try call(
            store, "BatchWriteItem",
            #"{"RequestItems":{"Jobs":[{"PutRequest":{"Item":{"id":{"S":"c"},"run":{"N":"1"},"acct":{"S":"z"}}}},{"PutRequest":{"Item":{"id":{"S":"d"},"run":{"N":"1"},"acct":{"S":"z"}}}}]}}"#
        )
        #expect(try ids(store, acct: "z") == ["c/1", "d/1"])
        try call(
            store, "BatchWriteItem",
            #"{"RequestItems":{"Jobs":[{"DeleteRequest":{"Key":{"id":{"S":"c"},"run":{"N":"1"}}}}]}}"#)
        try call(
            store, "TransactWriteItems",
            #"{"TransactItems":[{"Delete":{"TableName":"Jobs","Key":{"id":{"S":"d"},"run":{"N":"1"}}}},{"Put":{"TableName":"Jobs","Item":{"id":{"S":"e"},"run":{"N":"1"},"acct":{"S":"z"}}}}]}"#
        )
        #expect(try ids(store, acct: "z") == ["e/1"])
        try call(store, "DeleteItem", #"{"TableName":"Jobs","Key":{"id":{"S":"e"},"run":{"N":"1"}}}"#)
        #expect(try ids(store, acct: "z") == [])
        // A cancelled transaction leaves the indexes alone.
        let (status, _) = try call(
            store, "TransactWriteItems",
            #"{"TransactItems":[{"Put":{"TableName":"Jobs","Item":{"id":{"S":"f"},"run":{"N":"1"},"acct":{"S":"z"}}}},{"ConditionCheck":{"TableName":"Jobs","Key":{"id":{"S":"nope"},"run":{"N":"1"}},"ConditionExpression":"attribute_exists(id)"}}]}"#
        )
        #expect(status == 400)
        #expect(try ids(store, acct: "z") == [])
    }

    @Test func indexesSurviveARestart() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let first = try store()
            try create(first)
            try call(
                first, "PutItem", #"{"TableName":"Jobs","Item":{"id":{"S":"a"},"run":{"N":"1"},"acct":{"S":"x"}}}"#)
            try await first.shutdown()
        }
        let second = try store()
        #expect(try ids(second, acct: "x") == ["a/1"])
        try await second.shutdown()
    }

    @Test func localIndexesCapTheItemCollection() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try store(limit: 2_000)
        try create(store)
        var statuses: [Int] = []
        var error = ""
        for run in 0..<10 {
            let (status, body) = try call(
                store,
                "PutItem",
                #"{"TableName":"Jobs","Item":{"id":{"S":"hot"},"run":{"N":"\#(run)"},"at":{"N":"1"},"data":{"S":"\#(String(repeating: "x", count: 300))"}}}"#
            )
            statuses.append(status)
            if status != 200 { error = body["__type"]?.stringValue ?? "" }
        }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
        #expect(statuses.contains(400))
        #expect(error.hasSuffix("#ItemCollectionSizeLimitExceededException"))
        // Other partition keys are not affected.
        #expect(
            try call(store, "PutItem", #"{"TableName":"Jobs","Item":{"id":{"S":"cold"},"run":{"N":"1"}}}"#).0 == 200)
    }
}

struct IndexCapacityTests {
    @Test func writesChargeEachIndexTheyTouch() throws {
        let directory = NSTemporaryDirectory() + "dc-capacity-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedTableStore(directory: directory)
        func call(_ operation: String, _ body: String) throws -> JSONValue {
            let r = store.sendSynchronously(
                TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8))
            )
            return try JSONParser.parse(Array(r.body.readableBytesView))
        }
        _ = try call(
            "CreateTable",
            #"{"TableName":"Jobs","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},{"AttributeName":"acct","AttributeType":"S"}],"GlobalSecondaryIndexes":[{"IndexName":"ByAcct","KeySchema":[{"AttributeName":"acct","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],"BillingMode":"PAY_PER_REQUEST"}"#
        )
        let put = try call(
            "PutItem",
            #"{"TableName":"Jobs","Item":{"id":{"S":"a"},"acct":{"S":"x"}},"ReturnConsumedCapacity":"INDEXES"}"#
        )["ConsumedCapacity"]
        #expect(put?["CapacityUnits"] == .number("2.0"))
        #expect(put?["Table"]?["CapacityUnits"] == .number("1.0"))
        #expect(put?["GlobalSecondaryIndexes"]?["ByAcct"]?["CapacityUnits"] == .number("1.0"))
        // Moving between index partitions: a delete and a put in the index.
        let move = try call(
            "UpdateItem",
            #"{"TableName":"Jobs","Key":{"id":{"S":"a"}},"UpdateExpression":"SET acct = :y","ExpressionAttributeValues":{":y":{"S":"y"}},"ReturnConsumedCapacity":"TOTAL"}"#
        )["ConsumedCapacity"]
        #expect(move?["CapacityUnits"] == .number("3.0"))
        // An item outside the (sparse) index costs the index nothing.
        let sparse = try call(
            "PutItem",
            #"{"TableName":"Jobs","Item":{"id":{"S":"b"}},"ReturnConsumedCapacity":"INDEXES"}"#
        )["ConsumedCapacity"]
        #expect(sparse?["CapacityUnits"] == .number("1.0"))
        #expect(sparse?["GlobalSecondaryIndexes"] == nil)
    }
}
