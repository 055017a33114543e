import Testing

@testable import DynamoModel

struct DynamoNumberTests {
    @Test(arguments: [
        ("1", "1"), ("1.0", "1"), ("1E0", "1"), ("01", "1"), ("+1", "1"), ("1.000e+0", "1"), ("10E-1", "1"),
        ("0", "0"), ("-0", "0"), ("0.000", "0"), ("0e99999999999", "0"), ("100", "100"), ("1E2", "100"),
        ("0.10", "0.1"), ("-1.50", "-1.5"), ("1e-5", "0.00001"), ("123.456e1", "1234.56"), (".5", "0.5"),
        ("5.", "5"), ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1234567890123456789012345678901234567800000", "1234567890123456789012345678901234567800000"),
    ])
    func normalizes(_ input: String, _ expected: String) throws {
        #expect(try DynamoNumber(parsing: input).description == expected)
    }

    @Test func spellingsOfOneNumberAreEqual() throws {
        let spellings = [
            "1", "1.0", "1E0", "01", "+1", "0.1e1", "10e-1", "1.00000000000000000000000000000000000000000",
        ]
        let numbers = try spellings.map { try DynamoNumber(parsing: $0) }
        #expect(Set(numbers).count == 1)
    }

    @Test func neverRoundsThroughDouble() throws {
        let a = try DynamoNumber(parsing: "9007199254740993")  // 2^53 + 1: not a Double
        let b = try DynamoNumber(parsing: "9007199254740992")
        #expect(a != b)
        #expect(a.description == "9007199254740993")
    }

    @Test(arguments: [
        "", "-", "abc", "1e", "1e+", "1..2", "1.2.3", "--1", "0x10", "1 ", " 1", "NaN", "Infinity", "1e1.5", ".",
    ])
    func refusesNonNumbers(_ text: String) {
        #expect(throws: DynamoError.self) { try DynamoNumber(parsing: text) }
    }

    @Test func enforcesDynamoDBLimits() throws {
        #expect(throws: DynamoError.validation("Attempting to store more than 38 significant digits in a Number")) {
            try DynamoNumber(parsing: "123456789012345678901234567890123456789")
        }
        // Trailing zeros are not significant.
        #expect(throws: Never.self) { try DynamoNumber(parsing: "1234567890123456789012345678901234567800") }
        #expect(throws: Never.self) { try DynamoNumber(parsing: "9.9999999999999999999999999999999999999E+125") }
        #expect(throws: Never.self) { try DynamoNumber(parsing: "-1E-130") }
        #expect(throws: DynamoError.self) { try DynamoNumber(parsing: "1E+126") }
        #expect(throws: DynamoError.self) { try DynamoNumber(parsing: "1E-131") }
        #expect(throws: DynamoError.self) { try DynamoNumber(parsing: "1E99999999999999999999") }
    }

    @Test func orderedBytesFollowNumericOrder() throws {
        let sorted = [
            "-1E+125", "-100", "-12.5", "-12", "-1", "-0.5", "-0.05", "-1E-130", "0", "1E-130", "0.05",
            "0.5", "1", "1.5", "2", "9", "10", "12", "12.5", "100", "1E+125",
        ]
        let numbers = try sorted.map { try DynamoNumber(parsing: $0) }
        for i in 1..<numbers.count {
            #expect(numbers[i - 1] < numbers[i], "\(sorted[i - 1]) < \(sorted[i])")
            #expect(numbers[i - 1].orderedBytes.lexicographicallyPrecedes(numbers[i].orderedBytes))
        }
    }
}
