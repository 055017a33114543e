import DynamoModel
import Foundation
import Testing

@testable import LoadKit

@Suite struct ScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("LoadTests/scenarios").path
    let library = ScenarioLibrary(directory: directory)

    @Test func everyShippedScenarioLoadsAndRenders() throws {
        let names = library.names()
        #expect(names.count >= 12)
        for name in names {
            let scenario = try library.load(name)
            #expect(!scenario.steps.isEmpty, "\(name)")
            let workload = try Workload(scenario: scenario, distribution: .zipf(0.99), scale: 1, itemSizeBytes: 10)
            var random = SplitMix64(seed: 3)
            for i in scenario.steps.indices {
                let body = workload.render(step: i, using: &random)
                #expect(body["TableName"]?.stringValue != nil, "\(name) step \(i)")
                #expect(!JSONWriter.string(body).contains("${"), "\(name) step \(i)")
            }
        }
    }

    @Test func defaultMixesTheEightAccessPatternsByWeight() throws {
        let scenario = try library.load("default")
        #expect(scenario.steps.count == 8)
        let total = scenario.steps.reduce(0) { $0 + $1.weight }
        let profile = try #require(scenario.steps.first { $0.name == "get user profile" })
        #expect(abs(profile.weight / total - 0.30) < 1e-9)
        #expect(abs(scenario.writeShare - 0.08) < 1e-9)
        #expect(
            scenario.steps.first { $0.operation == "UpdateItem" }?.expectedErrors == ["ConditionalCheckFailedException"]
        )
        #expect(scenario.steps.first { $0.name == "conversation history" }?.pages == 2)
    }

    @Test func commandLineMixAndWriteShare() throws {
        let mixed = try library.load(specs: ["hot-key-reads:3", "hot-key-writes:1"])
        let total = mixed.steps.reduce(0) { $0 + $1.weight }
        let reads = mixed.steps.filter { $0.name == "hot-key read" }.reduce(0) { $0 + $1.weight }
        // 3/4 from hot-key-reads, plus 30% of the 1/4 from hot-key-writes.
        #expect(abs(reads / total - (0.75 + 0.25 * 0.3)) < 1e-9)
        let rescaled = try mixed.withWriteShare(0.5)
        #expect(abs(rescaled.writeShare - 0.5) < 1e-9)
        #expect(throws: ScenarioError.self) { try library.load("scan-heavy").withWriteShare(0.2) }
        // All writes: the read steps weigh nothing (not NaN), and the run picks only writes.
        let writesOnly = try mixed.withWriteShare(1)
        #expect(writesOnly.steps.allSatisfy { $0.weight.isFinite && ($0.isWrite || $0.weight == 0) })
    }

    func parse(_ yaml: String) throws -> Scenario {
        try library.parse(yaml, source: "test.yaml", including: ["test.yaml"])
    }

    @Test func numbersUnderAttributeTypesBecomeStrings() throws {
        let s = try parse(
            """
            steps:
              - operation: PutItem
                request: {TableName: T, Item: {k: {S: 5}, n: {N: 1.5}}, Limit: 3}
            """)
        let body = s.steps[0].request.body
        #expect(body["Item"]?["k"]?["S"] == .string("5"))
        #expect(body["Item"]?["n"]?["N"] == .string("1.5"))
        #expect(body["Limit"] == .number("3"))
    }

    @Test func mistakesAreNamed() {
        func message(_ yaml: String) -> String {
            do {
                _ = try parse(yaml)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(
            message("steps:\n  - operation: GetItem\n    request: {Key: {k: {S: '${nobody}'}}}").contains("${nobody}"))
        #expect(message("steps:\n  - request: {}").contains("needs 'operation'"))
        #expect(message("steps:\n  - operation: GetItem").contains("needs a 'request'"))
        #expect(message("keys: {u: {format: 'u%d'}}\nsteps: []").contains("positive integer 'count'"))
        #expect(message("keys: {u: {count: 3, distribution: normal}}").contains("distribution"))
        #expect(message("name: x").contains("no steps and no mix"))
        #expect(message("mix: [{scenario: test.yaml}]").contains("includes itself"))
        #expect(message("- a list").contains("expected a mapping"))
        #expect(message("steps: [{operation: GetItem, weight: -1, request: {}}]").contains("weight"))
    }

    @Test func durationsAndEndpoints() {
        #expect(RunSettings.seconds(parsing: "30s") == 30)
        #expect(RunSettings.seconds(parsing: "2m") == 120)
        #expect(RunSettings.seconds(parsing: "250ms") == 0.25)
        #expect(RunSettings.seconds(parsing: "1.5") == 1.5)
        #expect(RunSettings.seconds(parsing: "-1s") == nil)
        #expect(RunSettings.seconds(parsing: "soon") == nil)
        #expect(
            LoadSession.Target(spec: "proxy=http://127.0.0.1:8000")
                == .init(label: "proxy", url: "http://127.0.0.1:8000"))
        #expect(LoadSession.Target(spec: "http://127.0.0.1:8000")?.label == "127.0.0.1:8000")
        #expect(LoadSession.Target(spec: "ftp://x") == nil)
    }
}
