import Testing

@testable import DynamoModel

struct CanonicalBytesTests {
    func key(_ text: String) throws -> CanonicalBytes {
        CanonicalBytes(key: try Item.fromJSON(try JSONParser.parse(text), parameter: "Key"))
    }

    @Test func attributeOrderDoesNotMatter() throws {
        #expect(try key(#"{"pk":{"S":"a"},"sk":{"N":"1"}}"#) == key(#"{"sk":{"N":"1"},"pk":{"S":"a"}}"#))
    }

    @Test func numberSpellingsGiveTheSameKey() throws {
        let spellings = ["1", "1.0", "1E0", "01", "+1", "10e-1"]
        let keys = try spellings.map { try key(#"{"pk":{"S":"a"},"sk":{"N":"\#($0)"}}"#) }
        #expect(Set(keys).count == 1)
        #expect(try key(#"{"sk":{"N":"1"}}"#) != key(#"{"sk":{"N":"2"}}"#))
    }

    @Test func nestedMapsAndSetsAreCanonical() throws {
        let a = try key(#"{"doc":{"M":{"x":{"N":"1.0"},"y":{"M":{"b":{"SS":["q","p"]},"a":{"NULL":true}}}}}}"#)
        let b = try key(#"{"doc":{"M":{"y":{"M":{"a":{"NULL":true},"b":{"SS":["p","q"]}}},"x":{"N":"1"}}}}"#)
        #expect(a == b)
        let c = try key(#"{"doc":{"M":{"y":{"M":{"a":{"NULL":true},"b":{"SS":["p","r"]}}},"x":{"N":"1"}}}}"#)
        #expect(a != c)
    }

    @Test func typesAndBoundariesAreDistinguished() throws {
        #expect(try key(#"{"k":{"S":"1"}}"#) != key(#"{"k":{"N":"1"}}"#))
        #expect(try key(#"{"k":{"S":"MQ=="}}"#) != key(#"{"k":{"B":"MQ=="}}"#))
        // Length prefixes keep "ab"+"c" apart from "a"+"bc".
        #expect(try key(#"{"a":{"S":"bc"}}"#) != key(#"{"ab":{"S":"c"}}"#))
        #expect(try key(#"{"l":{"L":[{"S":"a"},{"S":"b"}]}}"#) != key(#"{"l":{"L":[{"S":"b"},{"S":"a"}]}}"#))
    }

    @Test func sortableScalarsFollowDynamoDBOrder() throws {
        let strings = ["", "A", "B", "a", "ab", "b", "é"].map { AttributeValue.s($0) }
        for i in 1..<strings.count {
            #expect(
                CanonicalBytes.sortable(strings[i - 1])!.lexicographicallyPrecedes(CanonicalBytes.sortable(strings[i])!)
            )
        }
        let binaries: [AttributeValue] = [.b([]), .b([0]), .b([0, 0]), .b([1]), .b([255])]
        for i in 1..<binaries.count {
            #expect(
                CanonicalBytes.sortable(binaries[i - 1])!.lexicographicallyPrecedes(
                    CanonicalBytes.sortable(binaries[i])!))
        }
        #expect(CanonicalBytes.sortable(.bool(true)) == nil)
    }
}
