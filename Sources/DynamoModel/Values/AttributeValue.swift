/// One DynamoDB attribute value, of the ten types the JSON 1.0 protocol carries.
///
/// Binary values hold their decoded bytes; numbers are `DynamoNumber`, already normalized, so two
/// values that DynamoDB considers equal compare equal here. Sets keep the client's order for
/// round trips; equality and canonical bytes treat them as unordered.
public enum AttributeValue: Sendable {
    case s(String)
    case n(DynamoNumber)
    case b([UInt8])
    case bool(Bool)
    case null
    case m([String: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([DynamoNumber])
    case bs([[UInt8]])
}

/// A map of attribute names to values: an item, a key, or `ExpressionAttributeValues`.
public typealias Item = [String: AttributeValue]

extension AttributeValue {
    /// The type's descriptor as DynamoDB names it in JSON and in `attribute_type`.
    public var typeDescriptor: String {
        switch self {
        case .s: "S"
        case .n: "N"
        case .b: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .m: "M"
        case .l: "L"
        case .ss: "SS"
        case .ns: "NS"
        case .bs: "BS"
        }
    }
}

extension AttributeValue: Equatable {
    public static func == (lhs: AttributeValue, rhs: AttributeValue) -> Bool {
        switch (lhs, rhs) {
        case (.s(let a), .s(let b)): a == b
        case (.n(let a), .n(let b)): a == b
        case (.b(let a), .b(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.m(let a), .m(let b)): a == b
        case (.l(let a), .l(let b)): a == b
        case (.ss(let a), .ss(let b)): Set(a) == Set(b)
        case (.ns(let a), .ns(let b)): Set(a) == Set(b)
        case (.bs(let a), .bs(let b)): Set(a) == Set(b)
        default: false
        }
    }
}
