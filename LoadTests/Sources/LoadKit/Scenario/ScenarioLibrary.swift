import DynamoModel
import Foundation
import Yams

/// Finds scenario files by name (`default` is `<directory>/default.yaml`) or path, and reads
/// them: a file has `steps`, a `mix` of other scenarios by weight, or both.
public struct ScenarioLibrary: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The scenario names in the directory, sorted.
    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// `name[:weight]` specs, mixed: `default`, `hot-key-reads:3 hot-key-writes:1`.
    public func load(specs: [String]) throws -> Scenario {
        var parts: [(Scenario, Double)] = []
        for spec in specs {
            var name = spec
            var weight = 1.0
            if let colon = spec.lastIndex(of: ":"), let w = Double(spec[spec.index(after: colon)...]) {
                name = String(spec[..<colon])
                weight = w
            }
            parts.append((try load(name), weight))
        }
        if parts.count == 1 && parts[0].1 == 1 { return parts[0].0 }
        return try Scenario.mix(parts, name: specs.joined(separator: "+"))
    }

    public func load(_ nameOrPath: String, including: [String] = []) throws -> Scenario {
        let path =
            nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml")
            ? nameOrPath : "\(directory)/\(nameOrPath).yaml"
        guard !including.contains(path) else {
            throw ScenarioError("scenario \(nameOrPath) includes itself (\(including.joined(separator: " → ")))")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let known = names().joined(separator: ", ")
            throw ScenarioError("no scenario '\(nameOrPath)' (\(path)); known: \(known)")
        }
        return try parse(text, source: path, including: including + [path])
    }

    func parse(_ text: String, source: String, including: [String]) throws -> Scenario {
        let document: JSONValue
        do {
            document = Self.json(from: try Yams.load(yaml: text) as Any)
        } catch {
            throw ScenarioError("\(source): not YAML: \(error)")
        }
        guard case .object(let root) = document else { throw ScenarioError("\(source): expected a mapping") }
        let name = root["name"]?.stringValue ?? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        var keys: [String: KeySpace] = [:]
        for (key, value) in root["keys"]?.objectValue ?? [:] {
            keys[key] = try Self.keySpace(value, name: key, source: source)
        }
        var steps: [Scenario.Step] = []
        for (i, value) in (root["steps"]?.arrayValue ?? []).enumerated() {
            steps.append(try Self.step(value, index: i, source: source))
        }
        for step in steps {
            for placeholder in step.request.placeholders
            where !RequestTemplate.builtins.contains(placeholder) && keys[placeholder] == nil {
                throw ScenarioError("\(source): step '\(step.name)' uses ${\(placeholder)}, which is no key space")
            }
        }
        var parts: [(Scenario, Double)] = []
        if !steps.isEmpty {
            parts.append((Scenario(name: name, keys: keys, steps: steps), steps.reduce(0) { $0 + $1.weight }))
        }
        for (i, value) in (root["mix"]?.arrayValue ?? []).enumerated() {
            guard let included = value["scenario"]?.stringValue else {
                throw ScenarioError("\(source): mix[\(i)] needs 'scenario'")
            }
            let weight = Double(value["weight"]?.numberText ?? "1") ?? -1
            guard weight >= 0 else { throw ScenarioError("\(source): mix[\(i)].weight must be a number ≥ 0") }
            parts.append((try load(included, including: including), weight))
        }
        guard !parts.isEmpty else { throw ScenarioError("\(source): no steps and no mix") }
        var scenario =
            parts.count == 1 && parts[0].0.name == name ? parts[0].0 : try Scenario.mix(parts, name: name)
        scenario.name = name
        scenario.description = root["description"]?.stringValue ?? scenario.description
        return scenario
    }

    static func keySpace(_ value: JSONValue, name: String, source: String) throws -> KeySpace {
        guard let count = value["count"]?.intValue, count > 0 else {
            throw ScenarioError("\(source): key space '\(name)' needs a positive integer 'count'")
        }
        if let d = value["distribution"]?.stringValue, KeyDistribution(parsing: d) == nil {
            throw ScenarioError("\(source): key space '\(name)': distribution '\(d)' is not uniform, zipf[:s] or hot:N")
        }
        return KeySpace(
            format: value["format"]?.stringValue ?? "%d", count: count,
            start: value["start"]?.numberText.flatMap { Int64($0) } ?? 0,
            step: value["step"]?.numberText.flatMap { Int64($0) } ?? 1,
            scaled: value["scaled"]?.boolValue ?? true, distribution: value["distribution"]?.stringValue)
    }

    static func step(_ value: JSONValue, index: Int, source: String) throws -> Scenario.Step {
        let label = value["name"]?.stringValue ?? "steps[\(index)]"
        guard let operation = value["operation"]?.stringValue, !operation.isEmpty else {
            throw ScenarioError("\(source): \(label) needs 'operation' (GetItem, Query, …)")
        }
        guard let request = value["request"], case .object = request else {
            throw ScenarioError("\(source): \(label) needs a 'request' mapping")
        }
        let weight = Double(value["weight"]?.numberText ?? "1") ?? -1
        guard weight >= 0 else { throw ScenarioError("\(source): \(label).weight must be a number ≥ 0") }
        let pages = value["pages"]?.intValue ?? 1
        guard pages >= 1 else { throw ScenarioError("\(source): \(label).pages must be ≥ 1") }
        let expected = Set((value["expectedErrors"]?.arrayValue ?? []).compactMap(\.stringValue))
        return Scenario.Step(
            name: label, weight: weight, operation: operation, request: RequestTemplate(request), pages: pages,
            expectedErrors: expected)
    }

    /// YAML's values as JSON. A number under an attribute-value type (`N: 5`, `S: 5`) becomes the
    /// string DynamoDB wants, so scenario authors need not quote them.
    static func json(from value: Any, parentKey: String? = nil) -> JSONValue {
        let typeKeys: Set<String> = ["S", "N", "B"]
        switch value {
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return typeKeys.contains(parentKey ?? "") ? .string(String(i)) : .number(String(i))
        case let d as Double: return typeKeys.contains(parentKey ?? "") ? .string(String(d)) : .number(String(d))
        case let a as [Any]: return .array(a.map { json(from: $0) })
        case let o as [String: Any]:
            return .object(
                Dictionary(uniqueKeysWithValues: o.map { ($0.key, json(from: $0.value, parentKey: $0.key)) }))
        case let o as [AnyHashable: Any]:
            return .object(
                Dictionary(
                    uniqueKeysWithValues: o.map { ("\($0.key)", json(from: $0.value, parentKey: "\($0.key)")) }))
        default: return .null
        }
    }
}

extension JSONValue {
    /// A number's text, or a string's (YAML authors write both).
    var numberText: String? {
        switch self {
        case .number(let t): t
        case .string(let s): s
        default: nil
        }
    }
}
