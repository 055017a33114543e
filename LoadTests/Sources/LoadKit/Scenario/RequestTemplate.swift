import DynamoModel

/// A DynamoDB request body with `${…}` placeholders in its string values, rendered anew for
/// every request. Within one request a placeholder has one value (`${user}` twice is the same
/// user); `${name+N}` / `${name-N}` add to a numeric value (`${nowSeconds+3600}`).
///
/// Built-ins: `now` (epoch ms), `nowSeconds`, `seq` (a counter shared by the run), `uuid`,
/// `payload` (a string of the run's item size). Every other name is a key space of the scenario.
public struct RequestTemplate: Sendable, Equatable {
    public let body: JSONValue
    /// Every placeholder name used (without offsets), checked against the key spaces at load.
    public let placeholders: Set<String>
    /// The body with its strings split into text and placeholders once, so that rendering (once
    /// per request) only concatenates.
    let compiled: Node

    indirect enum Node: Sendable, Equatable {
        case constant(JSONValue)
        case string([Segment])
        case array([Node])
        case object([(String, Node)])

        static func == (a: Node, b: Node) -> Bool {
            switch (a, b) {
            case (.constant(let x), .constant(let y)): x == y
            case (.string(let x), .string(let y)): x == y
            case (.array(let x), .array(let y)): x == y
            case (.object(let x), .object(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            default: false
            }
        }
    }

    enum Segment: Sendable, Equatable {
        case text(String)
        case placeholder(name: String, offset: Int64)
    }

    public init(_ body: JSONValue) {
        self.body = body
        var names = Set<String>()
        Self.collect(body, into: &names)
        placeholders = names
        compiled = Self.compile(body)
    }

    public static func == (a: RequestTemplate, b: RequestTemplate) -> Bool { a.body == b.body }

    static func compile(_ value: JSONValue) -> Node {
        switch value {
        case .string(let s):
            let tokens = tokens(in: s)
            if tokens.isEmpty { return .constant(value) }
            var segments: [Segment] = []
            var last = s.startIndex
            for token in tokens {
                if last < token.range.lowerBound { segments.append(.text(String(s[last..<token.range.lowerBound]))) }
                segments.append(.placeholder(name: token.name, offset: token.offset))
                last = token.range.upperBound
            }
            if last < s.endIndex { segments.append(.text(String(s[last...]))) }
            return .string(segments)
        case .array(let a):
            let nodes = a.map(compile)
            return nodes.allSatisfy { if case .constant = $0 { true } else { false } }
                ? .constant(value) : .array(nodes)
        case .object(let o):
            let nodes = o.map { ($0.key, compile($0.value)) }
            return nodes.allSatisfy { if case .constant = $0.1 { true } else { false } }
                ? .constant(value) : .object(nodes)
        default:
            return .constant(value)
        }
    }

    public static let builtins: Set<String> = ["now", "nowSeconds", "seq", "uuid", "payload"]

    static func collect(_ value: JSONValue, into names: inout Set<String>) {
        switch value {
        case .string(let s):
            for token in tokens(in: s) { names.insert(token.name) }
        case .array(let a): a.forEach { collect($0, into: &names) }
        case .object(let o): o.values.forEach { collect($0, into: &names) }
        default: break
        }
    }

    struct Token: Equatable {
        var range: Range<String.Index>
        var name: String
        var offset: Int64
    }

    /// The `${name}`, `${name+N}`, `${name-N}` tokens of a string, in order.
    static func tokens(in s: String) -> [Token] {
        var out: [Token] = []
        var search = s.startIndex
        while let open = s[search...].range(of: "${") {
            guard let close = s[open.upperBound...].firstIndex(of: "}") else { break }
            let inner = s[open.upperBound..<close]
            var name = String(inner)
            var offset: Int64 = 0
            if let sign = inner.firstIndex(where: { $0 == "+" || $0 == "-" }),
                let n = Int64(inner[inner.index(after: sign)...])
            {
                name = String(inner[..<sign])
                offset = inner[sign] == "+" ? n : -n
            }
            out.append(Token(range: open.lowerBound..<s.index(after: close), name: name, offset: offset))
            search = s.index(after: close)
        }
        return out
    }

    /// The body with every placeholder replaced; `value(name)` is asked once per name.
    public func render(_ value: (String) -> String) -> JSONValue {
        var cache: [String: String] = [:]
        func walk(_ node: Node) -> JSONValue {
            switch node {
            case .constant(let v): return v
            case .string(let segments):
                var out = ""
                for segment in segments {
                    switch segment {
                    case .text(let t): out += t
                    case .placeholder(let name, let offset):
                        let base: String
                        if let v = cache[name] {
                            base = v
                        } else {
                            base = value(name)
                            cache[name] = base
                        }
                        if offset != 0, let n = Int64(base) { out += String(n &+ offset) } else { out += base }
                    }
                }
                return .string(out)
            case .array(let nodes): return .array(nodes.map(walk))
            case .object(let members):
                var out: [String: JSONValue] = [:]
                out.reserveCapacity(members.count)
                for (key, node) in members { out[key] = walk(node) }
                return .object(out)
            }
        }
        return walk(compiled)
    }
}
