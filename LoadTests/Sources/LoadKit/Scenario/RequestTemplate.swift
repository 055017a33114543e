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

    public init(_ body: JSONValue) {
        self.body = body
        var names = Set<String>()
        Self.collect(body, into: &names)
        placeholders = names
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
        func lookup(_ name: String) -> String {
            if let v = cache[name] { return v }
            let v = value(name)
            cache[name] = v
            return v
        }
        func walk(_ v: JSONValue) -> JSONValue {
            switch v {
            case .string(let s):
                let tokens = Self.tokens(in: s)
                if tokens.isEmpty { return v }
                var out = ""
                var last = s.startIndex
                for token in tokens {
                    out += s[last..<token.range.lowerBound]
                    let base = lookup(token.name)
                    if token.offset != 0, let n = Int64(base) {
                        out += String(n + token.offset)
                    } else {
                        out += base
                    }
                    last = token.range.upperBound
                }
                out += s[last...]
                return .string(out)
            case .array(let a): return .array(a.map(walk))
            case .object(let o): return .object(o.mapValues(walk))
            default: return v
            }
        }
        return walk(body)
    }
}
