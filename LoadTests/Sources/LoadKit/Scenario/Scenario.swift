import DynamoModel

/// One access pattern of an application, as the load generator replays it: which DynamoDB call,
/// on which keys, how often relative to the others. Scenarios are files (LoadTests/scenarios/)
/// so that a team can describe its own traffic without writing Swift.
public struct Scenario: Sendable {
    public struct Step: Sendable {
        public var name: String
        public var weight: Double
        public var operation: String
        public var request: RequestTemplate
        /// Follow `LastEvaluatedKey` up to this many requests (paginated Query/Scan).
        public var pages: Int
        /// Error types that are part of the pattern (a conditional update losing a race), counted
        /// apart from failures.
        public var expectedErrors: Set<String>

        public var isWrite: Bool { Self.writeOperations.contains(operation) }
        static let writeOperations: Set<String> = [
            "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
        ]
    }

    public var name: String
    public var description: String
    public var keys: [String: KeySpace]
    public var steps: [Step]

    public init(name: String, description: String = "", keys: [String: KeySpace], steps: [Step]) {
        self.name = name
        self.description = description
        self.keys = keys
        self.steps = steps
    }

    /// Several scenarios as one, each contributing `weight` of the traffic (its steps keep their
    /// proportions inside that share).
    public static func mix(_ parts: [(scenario: Scenario, weight: Double)], name: String) throws(ScenarioError)
        -> Scenario
    {
        var keys: [String: KeySpace] = [:]
        var steps: [Step] = []
        for (scenario, weight) in parts where weight > 0 {
            for (name, space) in scenario.keys {
                if let existing = keys[name], existing != space {
                    throw ScenarioError("key space '\(name)' is defined differently by two scenarios of \(name)")
                }
                keys[name] = space
            }
            let total = scenario.steps.reduce(0) { $0 + $1.weight }
            guard total > 0 else { continue }
            for var step in scenario.steps {
                step.weight = step.weight / total * weight
                steps.append(step)
            }
        }
        guard !steps.isEmpty else { throw ScenarioError("\(name): no step has a positive weight") }
        let description = parts.map { "\($0.scenario.name) \(formatWeight($0.weight))" }.joined(separator: ", ")
        return Scenario(name: name, description: description, keys: keys, steps: steps)
    }

    /// Rescales weights so that writes make up `writeShare` of the steps picked (reads the rest).
    public func withWriteShare(_ writeShare: Double) throws(ScenarioError) -> Scenario {
        let reads = steps.filter { !$0.isWrite }.reduce(0) { $0 + $1.weight }
        let writes = steps.filter { $0.isWrite }.reduce(0) { $0 + $1.weight }
        if writeShare > 0 && writes == 0 { throw ScenarioError("\(name) has no write step for --write-share") }
        if writeShare < 1 && reads == 0 { throw ScenarioError("\(name) has no read step for --write-share") }
        var out = self
        for i in out.steps.indices {
            let w = out.steps[i].weight
            let (total, share) = out.steps[i].isWrite ? (writes, writeShare) : (reads, 1 - writeShare)
            out.steps[i].weight = total > 0 ? w / total * share : 0
        }
        return out
    }

    /// The share of traffic that is writes.
    public var writeShare: Double {
        let total = steps.reduce(0) { $0 + $1.weight }
        return total == 0 ? 0 : steps.filter(\.isWrite).reduce(0) { $0 + $1.weight } / total
    }
}

func formatWeight(_ w: Double) -> String {
    w == w.rounded() ? String(Int(w)) : String(w)
}

public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
