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
    let getItem = Operation(family: .dynamoDB, name: "GetItem")

    func check(_ text: String) throws(DynamoError) {
        _ = try RequestShape.validate(body: Array(text.utf8), operation: getItem)
    }

    @Test func acceptsWellFormedRequests() throws {
        try check(
            ##"{"TableName":"T","Key":{"id":{"S":"a"}},"ConsistentRead":true,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":"x"}}"##
        )
        try check(#"{"RequestItems":{"Key":{"Keys":[{"id":{"N":"1"}}]}}}"#)  // a table named Key
        try check(#"{"TableName":"T","Limit":10,"ExclusiveStartKey":null}"#)
    }

    @Test(arguments: [
        (#"{"TableName":1}"#, "SerializationException"),
        (#"{"Limit":"10"}"#, "SerializationException"),
        (#"{"Limit":1.5}"#, "SerializationException"),
        (#"{"ScanIndexForward":1}"#, "SerializationException"),
        (#"{"Key":{"id":{"N":"x"}}}"#, "ValidationException"),
        (#"{"RequestItems":{"T":{"Keys":[{"id":{"S":"a","N":"1"}}]}}}"#, "ValidationException"),
        (#"{"TransactItems":[{"Put":{"TableName":"T","Item":{"a":{"SS":[]}}}}]}"#, "ValidationException"),
        (#"[]"#, "SerializationException"),
        (#"{"#, "SerializationException"),
    ])
    func refusesMalformedRequests(_ text: String, _ code: String) {
        #expect {
            try check(text)
        } throws: { error in
            (error as? DynamoError)?.code == code
        }
    }
}
