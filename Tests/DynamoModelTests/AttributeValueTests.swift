import Testing

@testable import DynamoModel

struct AttributeValueTests {
    func value(_ text: String) throws -> AttributeValue {
        try AttributeValue(json: try JSONParser.parse(text))
    }

    @Test(arguments: [
        #"{"S":"héllo"}"#, #"{"N":"-1.5"}"#, #"{"B":"AAH/"}"#, #"{"BOOL":false}"#, #"{"NULL":true}"#,
        #"{"M":{"a":{"L":[{"N":"1"},{"S":""}]},"b":{"M":{}}}}"#, #"{"L":[]}"#, #"{"SS":["a","b"]}"#,
        #"{"NS":["1","2.5"]}"#, #"{"BS":["AA==","AQ=="]}"#,
    ])
    func roundTripsEveryType(_ text: String) throws {
        let parsed = try value(text)
        #expect(JSONWriter.string(parsed.json) == text)
        #expect(try AttributeValue(json: parsed.json) == parsed)
    }

    @Test func binaryIsDecoded() throws {
        #expect(try value(#"{"B":"AAH/"}"#) == .b([0, 1, 255]))
    }

    @Test func numbersAreNormalizedOnTheWayOut() throws {
        #expect(JSONWriter.string(try value(#"{"N":"01.50"}"#).json) == #"{"N":"1.5"}"#)
    }

    @Test(arguments: [
        (#"{}"#, "ValidationException"),
        (#"{"S":"a","N":"1"}"#, "ValidationException"),
        (#"{"S":1}"#, "SerializationException"),
        (#"{"N":1}"#, "SerializationException"),
        (#"{"N":"x"}"#, "ValidationException"),
        (#"{"B":"***"}"#, "SerializationException"),
        (#"{"BOOL":"true"}"#, "SerializationException"),
        (#"{"NULL":false}"#, "ValidationException"),
        (#"{"SS":[]}"#, "ValidationException"),
        (#"{"SS":["a","a"]}"#, "ValidationException"),
        (#"{"NS":["1","1.0"]}"#, "ValidationException"),
        (#"{"SS":"a"}"#, "SerializationException"),
        (#"{"M":[]}"#, "SerializationException"),
        (#"{"X":"a"}"#, "SerializationException"),
        (#""S""#, "SerializationException"),
        (#"{"L":[{"N":"1e200"}]}"#, "ValidationException"),
    ])
    func refusesWhatDynamoDBRefuses(_ text: String, _ code: String) {
        #expect {
            try value(text)
        } throws: { error in
            (error as? DynamoError)?.code == code
        }
    }

    @Test func setsAreUnorderedForEquality() throws {
        #expect(try value(#"{"SS":["a","b"]}"#) == value(#"{"SS":["b","a"]}"#))
        #expect(try value(#"{"NS":["1","2"]}"#) == value(#"{"NS":["2.0","01"]}"#))
    }
}
