import DynamoModel
import Testing

@testable import DynamoExpressions

/// The items a PartiQL write pins, so the proxy invalidates them rather than whole tables
/// (and never the whole namespace).
struct PartiQLWriteTests {
    @Test func insertNamesItsItemsTopLevelScalars() {
        let write = PartiQLWrite(
            statement: #"INSERT INTO "Orders" VALUE {'pk': 'a', 'sk': ?, 'tags': ['x', ?], 'n': 1.5}"#,
            parameters: [.n(try! DynamoNumber(parsing: "7")), .s("t")])
        #expect(write.kind == .insert)
        #expect(write.table == "Orders")
        #expect(write.attributes?["pk"] == .s("a"))
        #expect(write.attributes?["sk"] == .n(try! DynamoNumber(parsing: "7")))
        #expect(write.attributes?["n"] == .n(try! DynamoNumber(parsing: "1.5")))
        #expect(write.attributes?["tags"] == nil)
    }

    @Test func updateAndDeleteNameTheirWhereEqualities() {
        let update = PartiQLWrite(
            statement: "update T set a = ? , b = 'it''s' where pk = ? and \"sk\" = 3",
            parameters: [.s("ignored"), .s("p1")])
        #expect(
            update
                == PartiQLWrite(
                    kind: .update, table: "T", attributes: ["pk": .s("p1"), "sk": .n(try! DynamoNumber(parsing: "3"))]))
        let delete = PartiQLWrite(
            statement: #"DELETE FROM "arn:aws:dynamodb:us-east-1:1:table/T" WHERE pk = 'x'"#, parameters: [])
        #expect(delete.kind == .delete)
        #expect(delete.table == "T")
        #expect(delete.attributes == ["pk": .s("x")])
    }

    @Test(arguments: [
        "DELETE FROM T WHERE pk = 'a' OR pk = 'b'",
        "UPDATE T SET a = 1 WHERE pk IN ['a', 'b']",
        "UPDATE T SET a = 1 WHERE sk > 3",
        "UPDATE T SET a = 1",
        "INSERT INTO T VALUE {'pk': 'a'",
        "DELETE FROM T WHERE pk = ?",  // a parameter that was not supplied
    ])
    func statementsWhoseItemsCannotBeKnownNameOnlyTheirTable(_ statement: String) {
        let write = PartiQLWrite(statement: statement, parameters: [])
        #expect(write.writes)
        #expect(write.table == "T")
        #expect(write.attributes == nil)
    }

    @Test func selectWritesNothingAndGarbageNamesNoTable() {
        #expect(!PartiQLWrite(statement: "  SELECT * FROM T", parameters: []).writes)
        let garbage = PartiQLWrite(statement: "EXPLAIN 'x", parameters: [])
        #expect(garbage.writes && garbage.table == nil)
    }
}
