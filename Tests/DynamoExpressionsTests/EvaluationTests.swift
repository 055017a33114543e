import DynamoModel
import Testing

@testable import DynamoExpressions

struct EvaluationTests {
    let item: Item = [
        "id": .s("user#1"),
        "age": n("42"),
        "nick": .s("Ada"),
        "tags": .ss(["a", "b"]),
        "scores": .ns([num("1"), num("2")]),
        "bin": .b([1, 2, 3]),
        "seq": .l([.s("x"), n("7"), .m(["deep": .bool(true)])]),
        "doc": .m(["core": .m(["val": n("5")]), "s": .s("hello world")]),
        "flag": .bool(false),
        "nothing": .null,
    ]

    func check(_ text: String, _ values: [String: AttributeValue] = [:]) throws -> Bool {
        var a = attrs([:], values)
        let c = try Expressions.condition(text, attributes: &a)
        return try ConditionEvaluator.evaluate(c, item: item)
    }

    @Test func comparisonsFollowTypes() throws {
        #expect(try check("age = :v", [":v": n("42.0")]))
        #expect(try check("age < :v", [":v": n("100")]))
        #expect(try !check("age < :v", [":v": .s("100")]))  // different types never order
        #expect(try check("age <> :v", [":v": .s("42")]))
        #expect(try check("nick > :v", [":v": .s("Ab")]))  // 'd' > 'b'
        #expect(try check("nick < :v", [":v": .s("a")]))  // upper case sorts first (bytes)
        #expect(try check("bin > :v", [":v": .b([1, 2])]))
        #expect(try !check("absent = :v", [":v": .s("x")]))
        #expect(try check("NOT absent = :v", [":v": .s("x")]))
        #expect(try check("tags = :v", [":v": .ss(["b", "a"])]))
    }

    @Test func betweenAndIn() throws {
        #expect(try check("age BETWEEN :a AND :b", [":a": n("40"), ":b": n("42")]))
        #expect(try !check("age BETWEEN :a AND :b", [":a": n("43"), ":b": n("50")]))
        #expect(try check("nick IN (:a, :b)", [":a": .s("Bob"), ":b": .s("Ada")]))
        #expect(try !check("nick IN (:a)", [":a": .s("Bob")]))
    }

    @Test func functions() throws {
        #expect(try check("attribute_exists(doc.core.val)"))
        #expect(try !check("attribute_exists(doc.core.elsewhere)"))
        #expect(try check("attribute_not_exists(seq[5])"))
        #expect(try check("attribute_exists(seq[2].deep)"))
        #expect(try check("attribute_type(tags, :t)", [":t": .s("SS")]))
        #expect(try check("attribute_type(nothing, :t)", [":t": .s("NULL")]))
        #expect(try check("begins_with(id, :p)", [":p": .s("user#")]))
        #expect(try check("begins_with(bin, :p)", [":p": .b([1, 2])]))
        #expect(try check("contains(doc.s, :p)", [":p": .s("lo wo")]))
        #expect(try check("contains(tags, :p)", [":p": .s("a")]))
        #expect(try check("contains(scores, :p)", [":p": n("2.0")]))
        #expect(try check("contains(seq, :p)", [":p": n("7")]))
        #expect(try check("size(nick) = :n", [":n": n("3")]))
        #expect(try check("size(seq) = :n", [":n": n("3")]))
        #expect(try check("size(tags) < :n", [":n": n("3")]))
        #expect(try !check("size(absent) >= :n", [":n": n("0")]))
    }

    @Test func functionErrors() {
        #expect(throws: ExpressionError.self) { try check("attribute_type(tags, :t)", [":t": .s("STRING")]) }
        #expect(throws: ExpressionError.self) { try check("begins_with(id, :p)", [":p": n("1")]) }
    }

    func update(
        _ text: String, _ values: [String: AttributeValue] = [:], names: [String: String] = [:], on base: Item? = nil
    ) throws -> Item {
        var a = attrs(names, values)
        return try UpdateApplier.apply(try Expressions.update(text, attributes: &a), to: base ?? item)
    }

    @Test func setArithmeticAndFunctions() throws {
        let out = try update(
            "SET age = age + :one, fresh = if_not_exists(fresh, :zero), nick = if_not_exists(nick, :zero), seq = list_append(seq, :more), doc.core.val = doc.core.val - :one",
            [":one": n("1"), ":zero": n("0"), ":more": .l([.s("y")])]
        )
        #expect(out["age"] == n("43"))
        #expect(out["fresh"] == n("0"))
        #expect(out["nick"] == .s("Ada"))
        #expect(out["seq"] == .l([.s("x"), n("7"), .m(["deep": .bool(true)]), .s("y")]))
        #expect(out.value(at: AttributePath([.name("doc"), .name("core"), .name("val")])) == n("4"))
    }

    @Test func operandsAreReadFromTheOriginalItem() throws {
        let out = try update("SET a = :x, b = age", [":x": n("1")], on: ["age": n("5")])
        #expect(out == ["age": n("5"), "a": n("1"), "b": n("5")])
    }

    @Test func exactDecimalArithmetic() throws {
        let out = try update("SET x = x + :d", [":d": n("0.1")], on: ["x": n("0.2")])
        #expect(out["x"] == n("0.3"))
        let big = try update("SET x = x + :d", [":d": n("1")], on: ["x": n("99999999999999999999999999999999999999")])
        #expect(big["x"] == n("100000000000000000000000000000000000000"))
        let neg = try update("SET x = x - :d", [":d": n("10.5")], on: ["x": n("3")])
        #expect(neg["x"] == n("-7.5"))
    }

    @Test func removeAddDelete() throws {
        let out = try update(
            "REMOVE nick, seq[0], seq[1] ADD age :one, tags :more, tally :one DELETE scores :gone",
            [":one": n("1"), ":more": .ss(["c"]), ":gone": .ns([num("1"), num("2")])]
        )
        #expect(out["nick"] == nil)
        #expect(out["seq"] == .l([.m(["deep": .bool(true)])]))
        #expect(out["age"] == n("43"))
        #expect(out["tally"] == n("1"))
        #expect(out["tags"] == .ss(["a", "b", "c"]))
        #expect(out["scores"] == nil)  // deleting every element removes the attribute
    }

    @Test func setBeyondListEndAppends() throws {
        let out = try update("SET seq[10] = :v", [":v": .s("z")])
        #expect(out["seq"] == .l([.s("x"), n("7"), .m(["deep": .bool(true)]), .s("z")]))
    }

    @Test func updateTypeErrors() {
        #expect(throws: ExpressionError.self) { try update("SET nick = nick + :one", [":one": n("1")]) }
        #expect(throws: ExpressionError.self) { try update("ADD nick :one", [":one": n("1")]) }
        #expect(throws: ExpressionError.self) { try update("ADD age :s", [":s": .s("x")]) }
        #expect(throws: ExpressionError.self) { try update("SET nope.deeper = :one", [":one": n("1")]) }
        #expect(throws: ExpressionError.self) { try update("SET a = missing") }
        #expect(throws: ExpressionError.self) { try update("SET seq = list_append(nick, :l)", [":l": .l([])]) }
    }

    @Test func projectionKeepsStructure() throws {
        var a = attrs()
        let paths = try Expressions.projection("nick, doc.core, seq[2].deep, seq[0], nope", attributes: &a)
        let out = Projection.apply(paths, to: item)
        #expect(
            out == [
                "nick": .s("Ada"),
                "doc": .m(["core": .m(["val": n("5")])]),
                "seq": .l([.s("x"), .m(["deep": .bool(true)])]),
            ]
        )
    }
}
