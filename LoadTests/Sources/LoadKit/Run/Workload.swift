import DynamoModel
import Foundation
import Synchronization

/// A scenario made ready to run: key spaces sized for the seed profile with their samplers,
/// steps as a cumulative table, the payload of the run's item size. Shared by every worker; each
/// worker brings its own random generator, so picks need no lock.
public final class Workload: Sendable {
    public let scenario: Scenario
    let samplers: [String: (space: KeySpace, sampler: KeySampler)]
    let cumulative: [Double]
    let payload: String
    let sequence = Atomic<Int>(0)

    /// `scale`: the seed profile's multiplier (1 small, 10 medium, 100 large).
    public init(scenario: Scenario, distribution: KeyDistribution, scale: Int, itemSizeBytes: Int) throws(ScenarioError)
    {
        guard scenario.steps.contains(where: { $0.weight > 0 }) else {
            throw ScenarioError("\(scenario.name): no step has a positive weight")
        }
        self.scenario = scenario
        var samplers: [String: (KeySpace, KeySampler)] = [:]
        for (name, space) in scenario.keys {
            var d = distribution
            if let text = space.distribution {
                guard let parsed = KeyDistribution(parsing: text) else {
                    throw ScenarioError("key space \(name): bad distribution \(text)")
                }
                d = parsed
            }
            let count = space.scaled ? space.count * scale : space.count
            samplers[name] = (space, KeySampler(count: count, distribution: d))
        }
        self.samplers = samplers
        var sum = 0.0
        cumulative = scenario.steps.map {
            sum += $0.weight
            return sum
        }
        payload = String(repeating: "x", count: max(0, itemSizeBytes))
    }

    public func pickStep(using random: inout SplitMix64) -> Int {
        let u = Double(random.next() >> 11) / Double(1 << 53) * (cumulative.last ?? 0)
        return cumulative.firstIndex { u < $0 } ?? cumulative.count - 1
    }

    /// The request body of step `index`, placeholders filled.
    public func render(step index: Int, using random: inout SplitMix64) -> JSONValue {
        scenario.steps[index].request.render { name in value(of: name, using: &random) }
    }

    func value(of name: String, using random: inout SplitMix64) -> String {
        switch name {
        case "now": return String(Int64(Date().timeIntervalSince1970 * 1000))
        case "nowSeconds": return String(Int64(Date().timeIntervalSince1970))
        case "seq": return String(sequence.wrappingAdd(1, ordering: .relaxed).newValue)
        case "uuid":
            let a = random.next()
            let b = random.next()
            return String(a, radix: 16).leftPad(16) + String(b, radix: 16).leftPad(16)
        case "payload": return payload
        default:
            guard let (space, sampler) = samplers[name] else { return "" }
            return space.value(rank: sampler.pick(using: &random))
        }
    }
}

extension String {
    func leftPad(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
