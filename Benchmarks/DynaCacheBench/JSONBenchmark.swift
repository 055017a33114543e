import DynamoModel
import Foundation

/// What the proxy pays per request for JSON: parsing and shape-checking a GetItem request, and
/// (for comparison in the same run) Foundation's `JSONSerialization` doing only the parse.
enum JSONBenchmark {
    static let getItemRequest = Array(
        #"{"TableName":"Users","Key":{"pk":{"S":"USER#12345"},"sk":{"S":"PROFILE"}},"ConsistentRead":false}"#.utf8
    )
    static let getItemResponse = Array(
        #"{"Item":{"pk":{"S":"USER#12345"},"sk":{"S":"PROFILE"},"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"age":{"N":"36"},"tags":{"SS":["admin","beta"]},"prefs":{"M":{"theme":{"S":"dark"},"lang":{"S":"en"},"tz":{"S":"Europe/London"}}},"created":{"N":"1700000000"},"active":{"BOOL":true}}}"#
            .utf8
    )

    static func run() {
        let operation = Operation(family: .dynamoDB, name: "GetItem")
        let iterations = 200_000
        print("JSON benchmark, \(iterations) iterations each, release build")
        print("request \(getItemRequest.count) bytes, response \(getItemResponse.count) bytes")
        var rows: [(String, Double)] = []
        for round in 1...3 {
            let ours = measure(iterations) {
                _ = try? RequestShape.validate(body: getItemRequest, operation: operation)
            }
            let parseOnly = measure(iterations) { _ = try? JSONParser.parse(getItemRequest) }
            let foundation = measure(iterations) {
                _ = try? JSONSerialization.jsonObject(with: Data(getItemRequest))
            }
            let ourResponse = measure(iterations / 4) { _ = try? JSONParser.parse(getItemResponse) }
            let foundationResponse = measure(iterations / 4) {
                _ = try? JSONSerialization.jsonObject(with: Data(getItemResponse))
            }
            rows = [
                ("request: parse + shape check (proxy path)", ours),
                ("request: JSONParser.parse only", parseOnly),
                ("request: Foundation JSONSerialization", foundation),
                ("response: JSONParser.parse", ourResponse),
                ("response: Foundation JSONSerialization", foundationResponse),
            ]
            print("round \(round):")
            for (name, us) in rows {
                print("  \(name.padding(toLength: 46, withPad: " ", startingAt: 0)) \(format(us)) µs")
            }
            print("  ratio Foundation / JSONParser (request parse): \(format(foundation / parseOnly))x")
            print("  ratio Foundation / JSONParser (response parse): \(format(foundationResponse / ourResponse))x")
        }
    }

    static func measure(_ iterations: Int, _ body: () -> Void) -> Double {
        for _ in 0..<(iterations / 10) { body() }  // warm up
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        return Double(elapsed) / Double(iterations) / 1000
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
