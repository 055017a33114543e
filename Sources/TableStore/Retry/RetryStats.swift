import DynamoModel

/// Counters of the retry policy, for `/stats` under `retries`.
public struct RetryStats: Sendable, Equatable {
    public var attempts = 0
    public var retriesByReason: [String: Int] = [:]
    public var throttlesByResource: [String: Int] = [:]
    public var budgetExhausted = 0
    public var deadlineExceeded = 0
    /// Unknown outcomes of non-idempotent requests, passed to the client unretried.
    public var notRetriedUnsafe = 0

    public init() {}

    public func json(budgetTokens: Int, adaptiveRates: [String: Double]) -> JSONValue {
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.mapValues { .number(String($0)) }) }
        return .object([
            "attempts": .number(String(attempts)),
            "retriesByReason": counts(retriesByReason),
            "throttlesByResource": counts(throttlesByResource),
            "budgetExhausted": .number(String(budgetExhausted)),
            "deadlineExceeded": .number(String(deadlineExceeded)),
            "notRetriedUnsafe": .number(String(notRetriedUnsafe)),
            "budgetTokens": .number(String(budgetTokens)),
            "adaptiveRates": .object(adaptiveRates.mapValues { .number(String(format2($0))) }),
        ])
    }
}

func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = abs(hundredths % 100)
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
