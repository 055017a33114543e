import DynamoModel

/// Evaluates conditions and filters against an item, with DynamoDB's rules: ordering compares
/// only values of one type (S, N or B), a missing attribute makes a comparison false, and sets
/// compare without regard to order.
public enum ConditionEvaluator {
    public static func evaluate(
        _ condition: Condition,
        item: Item,
        kind: ExpressionKind = .condition
    ) throws(ExpressionError) -> Bool {
        switch condition {
        case .and(let a, let b):
            guard try evaluate(a, item: item, kind: kind) else { return false }
            return try evaluate(b, item: item, kind: kind)
        case .or(let a, let b):
            if try evaluate(a, item: item, kind: kind) { return true }
            return try evaluate(b, item: item, kind: kind)
        case .not(let c):
            return try !evaluate(c, item: item, kind: kind)
        case .compare(let op, let l, let r):
            guard let a = resolve(l, item), let b = resolve(r, item) else { return false }
            return compare(op, a, b)
        case .between(let v, let low, let high):
            guard let x = resolve(v, item), let lo = resolve(low, item), let hi = resolve(high, item) else {
                return false
            }
            if let order = order(lo, hi), order > 0 {
                throw .invalid(
                    kind,
                    "Invalid BETWEEN range; the lower bound is greater than the upper bound"
                )
            }
            return compare(.greaterOrEqual, x, lo) && compare(.lessOrEqual, x, hi)
        case .isIn(let v, let list):
            guard let x = resolve(v, item) else { return false }
            return list.contains { candidate in resolve(candidate, item).map { $0 == x } ?? false }
        case .attributeExists(let p):
            return item.value(at: p) != nil
        case .attributeNotExists(let p):
            return item.value(at: p) == nil
        case .attributeType(let p, let t):
            guard case .s(let typeName)? = resolve(t, item) else {
                throw .invalid(
                    kind,
                    "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: \(resolve(t, item)?.typeDescriptor ?? "NULL")"
                )
            }
            let valid: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]
            guard valid.contains(typeName) else {
                throw .invalid(
                    kind,
                    "Invalid attribute type name found; type: \(typeName), valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
            }
            return item.value(at: p)?.typeDescriptor == typeName
        case .beginsWith(let v, let prefix):
            let p = resolve(prefix, item)
            if case .value(let literal) = prefix {
                switch literal {
                case .s, .b: break
                default:
                    throw .invalid(
                        kind,
                        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: \(literal.typeDescriptor)"
                    )
                }
            }
            switch (resolve(v, item), p) {
            case (.s(let s)?, .s(let pre)?): return s.utf8.starts(with: pre.utf8)
            case (.b(let b)?, .b(let pre)?): return b.starts(with: pre)
            default: return false
            }
        case .contains(let v, let element):
            guard let container = resolve(v, item), let e = resolve(element, item) else { return false }
            switch (container, e) {
            case (.s(let s), .s(let sub)): return sub.isEmpty || s.contains(sub)
            case (.b(let b), .b(let sub)): return sub.isEmpty || b.firstRange(of: sub) != nil
            case (.ss(let set), .s(let x)): return set.contains(x)
            case (.ns(let set), .n(let x)): return set.contains(x)
            case (.bs(let set), .b(let x)): return set.contains(x)
            case (.l(let list), _): return list.contains(e)
            default: return false
            }
        }
    }

    /// The value an operand stands for in a condition; nil when a path is missing.
    static func resolve(_ operand: Operand, _ item: Item) -> AttributeValue? {
        switch operand {
        case .value(let v): return v
        case .path(let p): return item.value(at: p)
        case .size(let p):
            guard let v = item.value(at: p) else { return nil }
            let n: Int
            switch v {
            case .s(let s): n = s.unicodeScalars.count
            case .b(let b): n = b.count
            case .ss(let x): n = x.count
            case .ns(let x): n = x.count
            case .bs(let x): n = x.count
            case .m(let x): n = x.count
            case .l(let x): n = x.count
            default: return nil
            }
            return .n(try! DynamoNumber(parsing: String(n)))
        default:
            return nil
        }
    }

    static func compare(_ op: Comparator, _ a: AttributeValue, _ b: AttributeValue) -> Bool {
        switch op {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return order(a, b).map { $0 < 0 } ?? false
        case .lessOrEqual: return order(a, b).map { $0 <= 0 } ?? false
        case .greater: return order(a, b).map { $0 > 0 } ?? false
        case .greaterOrEqual: return order(a, b).map { $0 >= 0 } ?? false
        }
    }

    /// -1, 0 or 1 for two values of one ordered type (S, N, B); nil otherwise.
    public static func order(_ a: AttributeValue, _ b: AttributeValue) -> Int? {
        let x: [UInt8]
        let y: [UInt8]
        switch (a, b) {
        case (.s(let s), .s(let t)):
            x = Array(s.utf8)
            y = Array(t.utf8)
        case (.n(let m), .n(let n)):
            return m == n ? 0 : (m < n ? -1 : 1)
        case (.b(let s), .b(let t)):
            x = s
            y = t
        default:
            return nil
        }
        if x == y { return 0 }
        return x.lexicographicallyPrecedes(y) ? -1 : 1
    }
}

extension ConditionEvaluator {
    /// One comparison with DynamoDB's typing rules (for key conditions evaluated by a store).
    public static func evaluate(compare op: Comparator, _ a: AttributeValue, _ b: AttributeValue) -> Bool {
        compare(op, a, b)
    }
}
