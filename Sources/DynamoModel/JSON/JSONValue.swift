/// A parsed JSON document, kept close to the wire.
///
/// DynamoDB's JSON 1.0 protocol carries numbers inside strings (`{"N": "1.50"}`), but the
/// protocol's own integers (`Limit`, `Segment`) are bare JSON numbers. Numbers are kept as their
/// source text so that nothing is ever rounded through `Double`; a caller that wants an integer
/// asks for one and gets `nil` when the text is not an exact integer.
///
/// Foundation's `JSONSerialization` and `JSONDecoder` are several times slower on Linux than this
/// hand-written parser (see `Benchmarks/DynaCacheBench`), and the proxy parses every request.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text exactly as it appeared in the document.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The member `key` of an object, or `nil` for a missing member or a value that is no object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The value as an exact integer: a JSON number without fraction or exponent that fits `Int`.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// A short name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
