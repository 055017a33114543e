import Testing

@testable import DynamoModel

struct OperationTests {
    @Test func readsTargets() {
        #expect(TargetHeader("DynamoDB_20120810.GetItem") == .known(Operation(family: .dynamoDB, name: "GetItem")))
        #expect(
            TargetHeader("DynamoDBStreams_20120810.GetRecords")
                == .known(Operation(family: .streams, name: "GetRecords")))
        #expect(TargetHeader("DynamoDB_20120810.GetRecords") == .unknown("DynamoDB_20120810.GetRecords"))
        #expect(TargetHeader("DynamoDB_20120810.") == .unknown("DynamoDB_20120810."))
        #expect(TargetHeader("DynamoDB_20120810.getitem") == .unknown("DynamoDB_20120810.getitem"))
        #expect(TargetHeader(nil) == .foreign)
        #expect(TargetHeader("AmazonSQS.SendMessage") == .foreign)
        #expect(TargetHeader("GetItem") == .foreign)
        #expect(Operation(family: .dynamoDB, name: "Query").target == "DynamoDB_20120810.Query")
    }
}

struct DynamoErrorTests {
    @Test func hasDynamoDBsWireShape() throws {
        let error = DynamoError.validation("bad \"thing\"")
        #expect(error.status == 400)
        #expect(error.code == "ValidationException")
        let body = try JSONParser.parse(error.body)
        #expect(body["__type"] == .string("com.amazon.coral.validate#ValidationException"))
        #expect(body["message"] == .string("bad \"thing\""))
    }

    @Test func namesTheExceptionsSDKsExpect() {
        #expect(DynamoError.serialization("x").code == "SerializationException")
        #expect(DynamoError.unknownOperation("X").code == "UnknownOperationException")
        #expect(DynamoError.missingAuthenticationToken().code == "MissingAuthenticationTokenException")
        #expect(DynamoError.unrecognizedClient().code == "UnrecognizedClientException")
        #expect(DynamoError.invalidSignature("x").code == "InvalidSignatureException")
        #expect(DynamoError.requestTooLarge(limit: 1).status == 413)
        #expect(DynamoError.internalServerError("x").status == 500)
        #expect(DynamoError.serviceUnavailable("x").status == 503)
    }
}

struct RequestShapeTests {
    func check(_ operation: String, _ text: String) throws(DynamoError) {
        _ = try RequestShape.validate(
            body: Array(text.utf8), operation: Operation(family: .dynamoDB, name: operation))
    }

    @Test func acceptsWellFormedRequests() throws {
        try check(
            "GetItem",
            ##"{"TableName":"T","Key":{"id":{"S":"a"}},"ConsistentRead":true,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":"x"}}"##
        )
        try check("BatchGetItem", #"{"RequestItems":{"Key":{"Keys":[{"id":{"N":"1"}}]}}}"#)  // a table named Key
        try check("Scan", #"{"TableName":"T","Limit":10,"ExclusiveStartKey":null}"#)
    }

    /// A member is what the API model says it is where it stands: `Tags[0].Key` is a string.
    @Test func membersFollowTheModelNotTheirNames() throws {
        try check(
            "CreateTable",
            #"{"TableName":"T","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","Tags":[{"Key":"team","Value":"core"}]}"#
        )
        try check(
            "TagResource", #"{"ResourceArn":"arn:aws:dynamodb:us-east-1:1:table/T","Tags":[{"Key":"k","Value":"v"}]}"#)
        try check("UntagResource", #"{"ResourceArn":"a","TagKeys":["Key","Item"]}"#)
        try check("ExecuteStatement", #"{"Statement":"SELECT * FROM T","Parameters":[{"S":"a"},{"N":"1"}]}"#)
        #expect(throws: DynamoError.self) {
            try check("TagResource", #"{"ResourceArn":"a","Tags":[{"Key":{"S":"k"},"Value":"v"}]}"#)
        }
    }

    @Test(arguments: [
        ("GetItem", #"{"TableName":1}"#, "SerializationException"),
        ("Query", #"{"Limit":"10"}"#, "SerializationException"),
        ("Scan", #"{"Limit":1.5}"#, "SerializationException"),
        ("Query", #"{"ScanIndexForward":1}"#, "SerializationException"),
        ("GetItem", #"{"Key":{"id":{"N":"x"}}}"#, "ValidationException"),
        ("BatchGetItem", #"{"RequestItems":{"T":{"Keys":[{"id":{"S":"a","N":"1"}}]}}}"#, "ValidationException"),
        (
            "TransactWriteItems", #"{"TransactItems":[{"Put":{"TableName":"T","Item":{"a":{"SS":[]}}}}]}"#,
            "ValidationException"
        ),
        ("ExecuteStatement", #"{"Statement":"x","Parameters":[{"S":1}]}"#, "SerializationException"),
        ("GetItem", #"[]"#, "SerializationException"),
        ("GetItem", #"{"#, "SerializationException"),
    ])
    func refusesMalformedRequests(_ operation: String, _ text: String, _ code: String) {
        #expect {
            try check(operation, text)
        } throws: { error in
            (error as? DynamoError)?.code == code
        }
    }
}

/// A table named by its ARN is the same table to the cache.
struct TableReferenceTests {
    @Test func arnsResolveToTheirTableName() {
        #expect(TableReference.name("arn:aws:dynamodb:us-east-1:123456789012:table/Orders") == "Orders")
        #expect(TableReference.name("arn:aws-cn:dynamodb:cn-north-1:1:table/T/index/G") == "T")
        #expect(TableReference.name("Orders") == "Orders")
        #expect(TableReference.name("arn:aws:dynamodb:us-east-1:1:stream/x") == "arn:aws:dynamodb:us-east-1:1:stream/x")
        #expect(TableReference.name("arn:aws:dynamodb:us-east-1:1:table/") == "arn:aws:dynamodb:us-east-1:1:table/")
    }
}
