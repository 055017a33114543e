import DynamoExpressions
import DynamoModel

/// Expressions printed with every placeholder substituted, so two requests that mean the same
/// (`#a = :v` with a = x, v = 1 and `x = :one` with one = 1) share one cache entry. Values are
/// written as their canonical bytes, so `1` and `1.0` are one value, as DynamoDB compares them.
extension Condition {
    public var canonicalText: String {
        switch self {
        case .compare(let op, let a, let b): "(\(a.canonicalText) \(op.rawValue) \(b.canonicalText))"
        case .between(let a, let low, let high):
            "(\(a.canonicalText) BETWEEN \(low.canonicalText) AND \(high.canonicalText))"
        case .isIn(let a, let list): "(\(a.canonicalText) IN (\(list.map(\.canonicalText).joined(separator: ","))))"
        case .and(let a, let b): "(\(a.canonicalText) AND \(b.canonicalText))"
        case .or(let a, let b): "(\(a.canonicalText) OR \(b.canonicalText))"
        case .not(let a): "(NOT \(a.canonicalText))"
        case .attributeExists(let p): "attribute_exists(\(p.canonicalText))"
        case .attributeNotExists(let p): "attribute_not_exists(\(p.canonicalText))"
        case .attributeType(let p, let t): "attribute_type(\(p.canonicalText),\(t.canonicalText))"
        case .beginsWith(let a, let b): "begins_with(\(a.canonicalText),\(b.canonicalText))"
        case .contains(let a, let b): "contains(\(a.canonicalText),\(b.canonicalText))"
        }
    }
}

extension Operand {
    public var canonicalText: String {
        switch self {
        case .path(let p): p.canonicalText
        case .value(let v): "v" + CanonicalBytes(value: v).description
        case .size(let p): "size(\(p.canonicalText))"
        case .ifNotExists(let p, let o): "if_not_exists(\(p.canonicalText),\(o.canonicalText))"
        case .listAppend(let a, let b): "list_append(\(a.canonicalText),\(b.canonicalText))"
        case .plus(let a, let b): "(\(a.canonicalText)+\(b.canonicalText))"
        case .minus(let a, let b): "(\(a.canonicalText)-\(b.canonicalText))"
        }
    }
}

extension AttributePath {
    /// Names length-prefixed, so no attribute name can imitate path syntax.
    public var canonicalText: String {
        elements.map { element in
            switch element {
            case .name(let n): "\(n.utf8.count):\(n)"
            case .index(let i): "[\(i)]"
            }
        }.joined(separator: ".")
    }
}
