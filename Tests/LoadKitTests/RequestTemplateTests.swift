import DynamoModel
import Testing

@testable import LoadKit

@Suite struct RequestTemplateTests {
    let template = RequestTemplate(
        .object([
            "TableName": .string("App"),
            "Key": .object(["PK": .object(["S": .string("USER#${user}")]), "SK": .object(["S": .string("PROFILE")])]),
            "Values": .array([.string("${user}"), .string("${nowSeconds+3600}|${nowSeconds-60}"), .number("5")]),
        ]))

    @Test func collectsPlaceholderNamesWithoutOffsets() {
        #expect(template.placeholders == ["user", "nowSeconds"])
    }

    @Test func onePlaceholderHasOneValuePerRequestAndOffsetsAdd() {
        var asked: [String] = []
        let out = template.render { name in
            asked.append(name)
            return name == "user" ? "user-000007" : "1000"
        }
        #expect(asked.sorted() == ["nowSeconds", "user"])
        #expect(out["Key"]?["PK"]?["S"] == .string("USER#user-000007"))
        #expect(out["Key"]?["SK"]?["S"] == .string("PROFILE"))
        #expect(out["Values"] == .array([.string("user-000007"), .string("4600|940"), .number("5")]))
    }

    @Test func workloadFillsBuiltinsAndKeySpaces() throws {
        let step = Scenario.Step(
            name: "put", weight: 1, operation: "PutItem",
            request: RequestTemplate(
                .object([
                    "u": .string("${user}"), "p": .string("${payload}"), "s": .string("${seq}"),
                    "id": .string("${uuid}"),
                ])),
            pages: 1, expectedErrors: [])
        let scenario = Scenario(name: "t", keys: ["user": KeySpace(format: "user-%06d", count: 10)], steps: [step])
        let workload = try Workload(scenario: scenario, distribution: .uniform, scale: 10, itemSizeBytes: 300)
        var random = SplitMix64(seed: 1)
        var users = Set<String>()
        for i in 1...200 {
            let body = workload.render(step: 0, using: &random)
            users.insert(body["u"]!.stringValue!)
            #expect(body["p"]?.stringValue?.utf8.count == 300)
            #expect(body["s"] == .string(String(i)))
            #expect(body["id"]?.stringValue?.count == 32)
        }
        // scale 10: 100 users, all of the form user-0000NN.
        #expect(users.allSatisfy { $0.hasPrefix("user-0000") })
        #expect(users.count > 50)
    }

    @Test func absurdNumbersWrapInsteadOfCrashing() throws {
        let template = RequestTemplate(.object(["t": .string("${now+9223372036854775807}")]))
        let out = template.render { _ in "10" }
        #expect(out["t"]?.stringValue?.hasPrefix("-") == true)
        #expect(KeySpace(count: 2, start: .max, step: .max).value(rank: 1).isEmpty == false)
    }

    @Test func aScenarioWhoseStepsAllWeighNothingIsRefused() {
        let step = Scenario.Step(
            name: "s", weight: 0, operation: "GetItem", request: RequestTemplate(.object([:])), pages: 1,
            expectedErrors: [])
        #expect(throws: ScenarioError.self) {
            _ = try Workload(
                scenario: Scenario(name: "z", keys: [:], steps: [step]), distribution: .uniform, scale: 1,
                itemSizeBytes: 0)
        }
    }
}
