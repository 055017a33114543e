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
        print("JSON benchmark, \(iterations) iterations each, \(BuildKind.name)")
        print("request \(getItemRequest.count) bytes, response \(getItemResponse.count) bytes")
        var rows: [(String, Double)] = []
        for round in 1...3 {
            // Every timed call must succeed: a parse that failed early would be timed as fast.
            let ours = measure(iterations) {
                (try? RequestShape.validate(body: getItemRequest, operation: operation)) != nil
            }
            let parseOnly = measure(iterations) { (try? JSONParser.parse(getItemRequest)) != nil }
            let foundation = measure(iterations) {
                (try? JSONSerialization.jsonObject(with: Data(getItemRequest))) != nil
            }
            let ourResponse = measure(iterations / 4) { (try? JSONParser.parse(getItemResponse)) != nil }
            let foundationResponse = measure(iterations / 4) {
                (try? JSONSerialization.jsonObject(with: Data(getItemResponse))) != nil
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

    /// Microseconds per call of `body`, which says whether the call succeeded; stops the
    /// benchmark if any did not.
    static func measure(_ iterations: Int, _ body: () -> Bool) -> Double {
        var failures = 0
        for _ in 0..<(iterations / 10) where !body() { failures += 1 }  // warm up
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations where !body() { failures += 1 }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        precondition(failures == 0, "\(failures) timed calls failed: the numbers would time errors")
        return Double(elapsed) / Double(iterations) / 1000
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
