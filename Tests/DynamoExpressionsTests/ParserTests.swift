import DynamoModel
import Testing

@testable import DynamoExpressions

func attrs(_ names: [String: String] = [:], _ values: [String: AttributeValue] = [:]) -> ExpressionAttributes {
    ExpressionAttributes(names: names, values: values)
}

func n(_ s: String) -> AttributeValue { .n(try! DynamoNumber(parsing: s)) }

struct ConditionParserTests {
    func parse(_ text: String, _ a: ExpressionAttributes = attrs([:], [":v": .s("x"), ":w": n("1")])) throws
        -> Condition
    {
        var a = a
        return try Expressions.condition(text, attributes: &a)
    }

    @Test func precedenceIsOrThenAndThenNot() throws {
        let c = try parse("a = :v OR b = :v AND NOT c = :v")
        let a = Condition.compare(.equal, .path(AttributePath([.name("a")])), .value(.s("x")))
        let b = Condition.compare(.equal, .path(AttributePath([.name("b")])), .value(.s("x")))
        let notC = Condition.not(.compare(.equal, .path(AttributePath([.name("c")])), .value(.s("x"))))
        #expect(c == .or(a, .and(b, notC)))
    }

    @Test func parsesPathsWithPlaceholdersAndIndexes() throws {
        var a = attrs(["#m": "map", "#k": "key with spaces"], [":v": .s("x")])
        let c = try Expressions.condition("#m.#k[2].leaf = :v", attributes: &a)
        #expect(
            c
                == .compare(
                    .equal, .path(AttributePath([.name("map"), .name("key with spaces"), .index(2), .name("leaf")])),
                    .value(.s("x"))))
        #expect(throws: Never.self) { try a.checkAllUsed() }
    }

    @Test func parsesEveryForm() throws {
        for text in [
            "a BETWEEN :w AND :w", "a IN (:v, :w)", "attribute_exists(a)", "attribute_not_exists(a.b)",
            "attribute_type(a, :v)", "begins_with(a, :v)", "contains(a, :v)", "size(a) > :w", "(a = :v)",
            "a <> :v AND (b < :w OR c <= :w) AND NOT (d > :w OR e >= :w)", "not a = :v", "a = b",
        ] {
            #expect(throws: Never.self, "\(text)") { try parse(text) }
        }
    }

    @Test(arguments: [
        ("", "The expression can not be empty"),
        ("a =", "Syntax error"),
        ("a = :v AND", "Syntax error"),
        ("(a = :v", "Syntax error"),
        ("a = :v)", "Syntax error"),
        ("a == :v", "Syntax error"),
        ("a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("#nope = :v", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ("status = :v", "Attribute name is a reserved keyword; reserved keyword: status"),
        ("foo(a)", "Invalid function name; function: foo"),
        (
            "begins_with(a)",
            "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
        ),
        ("attribute_exists(:v)", "Operator or function requires a document path"),
        ("a[x] = :v", "Syntax error"),
        ("a = :v $", "Syntax error"),
        ("size(:v) = :w", "Operator or function requires a document path"),
    ])
    func refusesMalformedConditions(_ text: String, _ message: String) {
        #expect {
            try parse(text)
        } throws: { error in
            let e = error as! ExpressionError
            return e.message.hasPrefix("Invalid ConditionExpression: ") && e.message.contains(message)
        }
    }

    @Test func unusedPlaceholdersAreRefused() throws {
        var a = attrs(["#a": "a", "#b": "b"], [":v": .s("x"), ":u": .s("y")])
        _ = try Expressions.condition("#a = :v", attributes: &a)
        #expect(
            throws: DynamoError.validation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
        ) {
            try a.checkAllUsed()
        }
        var b = attrs([:], [":v": .s("x"), ":u": .s("y")])
        _ = try Expressions.condition("a = :v", attributes: &b)
        #expect(
            throws: DynamoError.validation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}")
        ) {
            try b.checkAllUsed()
        }
    }

    @Test func hostileInputNeverCrashes() {
        for text in [
            String(repeating: "(", count: 5000), String(repeating: "NOT ", count: 3000) + "a = :v", "\u{0}", "🙂 = :v",
            "a.", "a[", "a[99999999999999999999] = :v",
        ] {
            _ = try? parse(text)
        }
    }
}

struct UpdateParserTests {
    @Test func parsesAllClauses() throws {
        var a = attrs(["#n": "name"], [":v": n("1"), ":s": .ss(["x"]), ":l": .l([])])
        let actions = try Expressions.update(
            "SET #n = :v, b = b + :v, c = if_not_exists(c, :v), d = list_append(d, :l) REMOVE e, f[1] ADD g :v DELETE h :s",
            attributes: &a
        )
        #expect(actions.count == 8)
        #expect(throws: Never.self) { try a.checkAllUsed() }
    }

    @Test(arguments: [
        ("SET a = :v SET b = :v", "The \"SET\" section can only be used once in an update expression;"),
        ("SET a = :v, a.b = :v", "Two document paths overlap with each other"),
        ("SET a = :v REMOVE a", "Two document paths overlap with each other"),
        ("SET a :v", "Syntax error"),
        ("UPSERT a = :v", "Syntax error"),
        ("SET a = size(b)", "Invalid function name"),
    ])
    func refusesMalformedUpdates(_ text: String, _ message: String) {
        var a = attrs([:], [":v": n("1")])
        #expect {
            try Expressions.update(text, attributes: &a)
        } throws: { error in
            (error as! ExpressionError).message.contains(message)
        }
    }
}

struct ProjectionParserTests {
    @Test func parsesAndRefusesOverlaps() throws {
        var a = attrs(["#s": "status"])
        #expect(try Expressions.projection("a, b.c, d[0], #s", attributes: &a).count == 4)
        var b = attrs()
        #expect(throws: ExpressionError.self) { try Expressions.projection("a, a.b", attributes: &b) }
        #expect(throws: ExpressionError.self) { try Expressions.projection("a,", attributes: &b) }
    }
}

func num(_ s: String) -> DynamoNumber { try! DynamoNumber(parsing: s) }

struct ExpressionLimitTests {
    @Test func refusesOversizedAndDeepExpressions() {
        var a = attrs([:], [":v": .s("x")])
        #expect {
            try Expressions.condition(String(repeating: "a = :v OR ", count: 500) + "a = :v", attributes: &a)
        } throws: { ($0 as! ExpressionError).message.contains("Expression size has exceeded the maximum allowed size") }
        #expect {
            try Expressions.condition(
                String(repeating: "(", count: 1000) + "a = :v" + String(repeating: ")", count: 1000), attributes: &a)
        } throws: { ($0 as! ExpressionError).message.contains("nested too deeply") }
        #expect(throws: Never.self) {
            try Expressions.condition(
                String(repeating: "(", count: 30) + "a = :v" + String(repeating: ")", count: 30), attributes: &a)
        }
    }
}
