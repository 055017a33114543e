import Testing

@testable import DynamoModel

struct JSONParserTests {
    @Test func parsesEveryValueKind() throws {
        let doc = try JSONParser.parse(
            #" {"a": [1, -2.5e3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(
            doc
                == .object([
                    "a": .array([
                        .number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null,
                        .string("x\"\\/\u{8}\u{c}\n\r\té😀"),
                    ]),
                    "b": .object([:]),
                ])
        )
    }

    @Test func keepsNumberTextExactly() throws {
        let doc = try JSONParser.parse("[12345678901234567890123456789012345678, 0.1000]")
        #expect(doc == .array([.number("12345678901234567890123456789012345678"), .number("0.1000")]))
        #expect(JSONValue.number("25").intValue == 25)
        #expect(JSONValue.number("2.5").intValue == nil)
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"abc",
        "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\" 1}", "[1 2]", "1 2", "NaN", "Infinity",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x22]) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }

    @Test func writerRoundTrips() throws {
        let text = #"{"a":[1,"x\n\u0001\"",true,null],"b":{"c":-0.5}}"#
        let doc = try JSONParser.parse(text)
        #expect(JSONWriter.string(doc) == text)
        #expect(try JSONParser.parse(JSONWriter.bytes(doc)) == doc)
    }
}

struct Base64AndCRCTests {
    @Test func base64RoundTrips() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        for bad in ["Zm9", "Zm9v!", "Z===", "Zm=v", "Zh=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("{}".utf8)) == 2_745_614_147)
    }
}
