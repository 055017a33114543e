import DynamoModel
import Testing

@testable import Cache

struct QueryCacheabilityTests {
    static let schema = TableKeySchema(
        partitionKey: "pk", sortKey: "sk",
        indexes: [
            "byStatus": .init(partitionKey: "status", sortKey: "sk", isGlobal: true),
            "byAmount": .init(partitionKey: "pk", sortKey: "amount", isGlobal: false),
        ])

    func decide(_ text: String, _ operation: String = "Query") throws -> QueryCacheability.Decision {
        QueryCacheability.decide(try JSONParser.parse(text), operation: operation, namespace: "ns", schema: Self.schema)
    }

    func key(_ text: String, _ operation: String = "Query") throws -> CacheEntryKey {
        guard case .cacheable(let key) = try decide(text, operation) else {
            Issue.record("not cacheable: \(text)")
            throw CancellationError()
        }
        return key
    }

    @Test func equivalentSpellingsShareOneField() throws {
        let a = try key(
            ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}}}"##)
        let b = try key(
            ##"{"TableName":"T","KeyConditionExpression":"#p = :other","ExpressionAttributeNames":{"#p":"pk"},"ExpressionAttributeValues":{":other":{"S":"u"}}}"##
        )
        #expect(a == b)
        #expect(String(decoding: a.redisKey, as: UTF8.self).hasPrefix("dc:ns:q:T:-:"))
        #expect(a.registry == nil && a.consistentFillPossible)
        // numbers compare as DynamoDB compares them
        let c = try key(
            ##"{"TableName":"T","KeyConditionExpression":"pk = :v AND sk > :n","ExpressionAttributeValues":{":v":{"S":"u"},":n":{"N":"1"}}}"##
        )
        let d = try key(
            ##"{"TableName":"T","KeyConditionExpression":"pk = :v AND sk > :n","ExpressionAttributeValues":{":v":{"S":"u"},":n":{"N":"1.00"}}}"##
        )
        #expect(c == d && c.redisKey == a.redisKey && c.field != a.field)
        // projection order does not matter; the other parameters do
        let p1 = try key(
            ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ProjectionExpression":"a, b","ExpressionAttributeValues":{":v":{"S":"u"}}}"##
        )
        let p2 = try key(
            ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ProjectionExpression":"b,a","ExpressionAttributeValues":{":v":{"S":"u"}}}"##
        )
        #expect(p1 == p2)
        for variant in [
            #""Limit":2"#, #""ScanIndexForward":false"#, #""Select":"COUNT""#,
            #""ExclusiveStartKey":{"pk":{"S":"u"},"sk":{"N":"1"}}"#, #""FilterExpression":"attribute_exists(x)""#,
        ] {
            let other = try key(
                #"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}},"#
                    + variant + "}")
            #expect(other.field != a.field && other.redisKey == a.redisKey, "\(variant)")
        }
    }

    @Test func indexesNameTheirOwnGroups() throws {
        let gsi = try key(
            ##"{"TableName":"T","IndexName":"byStatus","KeyConditionExpression":"#s = :s","ExpressionAttributeNames":{"#s":"status"},"ExpressionAttributeValues":{":s":{"S":"open"}}}"##
        )
        #expect(
            gsi.redisKey
                == CacheEntryKey.queryGroup(
                    namespace: "ns", table: "T", index: "byStatus", partition: CanonicalBytes(value: .s("open"))))
        #expect(gsi.registry == CacheEntryKey.registry(namespace: "ns", table: "T", index: "byStatus"))
        #expect(!gsi.consistentFillPossible)
        let lsi = try key(
            ##"{"TableName":"T","IndexName":"byAmount","KeyConditionExpression":"amount > :a AND pk = :p","ExpressionAttributeValues":{":p":{"S":"u"},":a":{"N":"3"}}}"##
        )
        #expect(
            lsi.redisKey
                == CacheEntryKey.queryGroup(
                    namespace: "ns", table: "T", index: "byAmount", partition: CanonicalBytes(value: .s("u"))))
        #expect(lsi.registry == nil && lsi.consistentFillPossible)
        let scan = try key(##"{"TableName":"T","Segment":1,"TotalSegments":4}"##, "Scan")
        #expect(scan.redisKey == CacheEntryKey.scanGroup(namespace: "ns", table: "T"))
        #expect(scan.operation == "Scan")
    }

    @Test func whatBypasses() throws {
        let cases: [(String, String)] = [
            (
                ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}},"ConsistentRead":true}"##,
                "ConsistentRead"
            ),
            (
                ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}},"ReturnConsumedCapacity":"TOTAL"}"##,
                "ReturnConsumedCapacity"
            ),
            (##"{"TableName":"T","KeyConditions":{}}"##, "parameter KeyConditions"),
            (
                ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"},":x":{"S":"y"}}}"##,
                "unused placeholder"
            ),
            (
                ##"{"TableName":"T","KeyConditionExpression":"sk = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}"##,
                "key condition"
            ),
            (
                ##"{"TableName":"T","IndexName":"nope","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}}}"##,
                "unknown index"
            ),
            (
                ##"{"TableName":"T","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"u"}},"Limit":"2"}"##,
                "malformed"
            ),
            (
                ##"{"TableName":"T","KeyConditionExpression":"pk = = :v","ExpressionAttributeValues":{":v":{"S":"u"}}}"##,
                "key condition"
            ),
        ]
        for (request, reason) in cases {
            #expect(try decide(request) == .bypass(reason: reason), "\(request)")
        }
        #expect(
            try decide(##"{"TableName":"T","ScanIndexForward":true}"##, "Scan")
                == .bypass(reason: "parameter ScanIndexForward"))
    }

    @Test func schemaFromDescribeTable() throws {
        let table = try JSONParser.parse(
            ##"{"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[{"AttributeName":"x","KeyType":"HASH"}]}],"LocalSecondaryIndexes":[{"IndexName":"l","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"y","KeyType":"RANGE"}]}]}"##
        )
        let schema = try #require(TableKeySchema(describeTable: table))
        #expect(schema.partitionKey == "pk" && schema.sortKey == "sk" && schema.hasGlobalIndexes)
        #expect(schema.indexes["g"] == .init(partitionKey: "x", sortKey: nil, isGlobal: true))
        #expect(schema.indexes["l"] == .init(partitionKey: "pk", sortKey: "y", isGlobal: false))
        #expect(schema.key(of: ["pk": .s("a"), "sk": .n(try DynamoNumber(parsing: "1")), "z": .s("q")])?.count == 2)
        #expect(schema.key(of: ["pk": .s("a")]) == nil)
    }
}
