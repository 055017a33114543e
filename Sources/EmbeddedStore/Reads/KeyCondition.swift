import DynamoExpressions
import DynamoModel

/// A Query's KeyConditionExpression reduced to what the store can seek: equality on the
/// partition key and at most one condition on the sort key.
struct KeyCondition {
    enum RangeCondition {
        case compare(Comparator, AttributeValue)
        case between(AttributeValue, AttributeValue)
        case beginsWith(AttributeValue)
    }

    var hashValue: AttributeValue
    var range: RangeCondition?

    static let kind = ExpressionKind.keyCondition

    init(_ condition: Condition, table: TableDefinition) throws(DynamoError) {
        var parts: [Condition] = []
        func flatten(_ c: Condition) throws(DynamoError) {
            switch c {
            case .and(let a, let b):
                try flatten(a)
                try flatten(b)
            case .or: throw Self.invalidOperator("OR")
            case .not: throw Self.invalidOperator("NOT")
            case .isIn: throw Self.invalidOperator("IN")
            case .compare(.notEqual, _, _): throw Self.invalidOperator("<>")
            case .attributeExists: throw Self.invalidOperator("attribute_exists")
            case .attributeNotExists: throw Self.invalidOperator("attribute_not_exists")
            case .attributeType: throw Self.invalidOperator("attribute_type")
            case .contains: throw Self.invalidOperator("contains")
            default: parts.append(c)
            }
        }
        try flatten(condition)
        guard parts.count <= 2 else {
            throw DynamoError.validation(
                "Invalid KeyConditionExpression: The expression has redundant parentheses or more than two conditions")
        }
        var hash: AttributeValue?
        var range: RangeCondition?
        for part in parts {
            let (name, parsed) = try Self.single(part)
            if name == table.hashKey.name {
                guard case .compare(.equal, let v) = parsed, hash == nil else {
                    throw DynamoError.validation("Query key condition not supported")
                }
                try Self.checkType(v, table.hashKey)
                hash = v
            } else if name == table.rangeKey?.name, range == nil {
                switch parsed {
                case .compare(_, let v): try Self.checkType(v, table.rangeKey!)
                case .between(let a, let b):
                    try Self.checkType(a, table.rangeKey!)
                    try Self.checkType(b, table.rangeKey!)
                    if let order = ConditionEvaluator.order(a, b), order > 0 {
                        throw DynamoError.validation(
                            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {\(a.typeDescriptor):\(Self.show(a))}, upper bound operand: AttributeValue: {\(b.typeDescriptor):\(Self.show(b))}"
                        )
                    }
                case .beginsWith(let v):
                    try Self.checkType(v, table.rangeKey!)
                    if case .n = v {
                        throw DynamoError.validation(
                            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
                        )
                    }
                }
                range = parsed
            } else if name == table.hashKey.name || name == table.rangeKey?.name {
                throw DynamoError.validation("Query key condition not supported")
            } else {
                throw DynamoError.validation(
                    "Query condition missed key schema element: \(table.rangeKey?.name ?? table.hashKey.name)")
            }
        }
        guard let hash else {
            throw DynamoError.validation("Query condition missed key schema element: \(table.hashKey.name)")
        }
        self.hashValue = hash
        self.range = range
    }

    static func show(_ v: AttributeValue) -> String {
        switch v {
        case .s(let s): s
        case .n(let n): n.description
        default: "…"
        }
    }

    static func invalidOperator(_ op: String) -> DynamoError {
        .validation("Invalid operator used in KeyConditionExpression: \(op)")
    }

    static func checkType(_ value: AttributeValue, _ key: KeyAttribute) throws(DynamoError) {
        guard value.typeDescriptor == key.type else {
            throw DynamoError.validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type")
        }
    }

    /// One condition on one key attribute: `key op :v`, `:v op key`, BETWEEN or begins_with.
    static func single(_ c: Condition) throws(DynamoError) -> (String, RangeCondition) {
        func keyName(_ o: Operand) -> String? {
            if case .path(let p) = o, p.elements.count == 1 { return p.topLevelName }
            return nil
        }
        func literal(_ o: Operand) -> AttributeValue? {
            if case .value(let v) = o { return v }
            return nil
        }
        switch c {
        case .compare(let op, let l, let r):
            if let name = keyName(l), let v = literal(r) { return (name, .compare(op, v)) }
            if let name = keyName(r), let v = literal(l) {
                let flipped: Comparator =
                    switch op {
                    case .less: .greater
                    case .lessOrEqual: .greaterOrEqual
                    case .greater: .less
                    case .greaterOrEqual: .lessOrEqual
                    default: op
                    }
                return (name, .compare(flipped, v))
            }
        case .between(let x, let a, let b):
            if let name = keyName(x), let lo = literal(a), let hi = literal(b) { return (name, .between(lo, hi)) }
        case .beginsWith(let x, let p):
            if let name = keyName(x), let v = literal(p) { return (name, .beginsWith(v)) }
        default:
            break
        }
        throw DynamoError.validation("Invalid KeyConditionExpression: Query key condition not supported")
    }

    /// The sort-key condition as SQL bounds on `column` (sortable bytes compare as DynamoDB
    /// orders); begins_with gets its lower bound here and is finished by `matches`.
    func sqlBounds(column: String) -> (sql: String, binds: [[UInt8]]) {
        switch range {
        case .compare(let op, let v)?:
            let symbol: String? =
                switch op {
                case .equal: "="
                case .less: "<"
                case .lessOrEqual: "<="
                case .greater: ">"
                case .greaterOrEqual: ">="
                case .notEqual: nil
                }
            guard let symbol else { return ("", []) }
            return (" AND \(column) \(symbol) ?", [CanonicalBytes.sortable(v)!])
        case .between(let lo, let hi)?:
            return (
                " AND \(column) >= ? AND \(column) <= ?", [CanonicalBytes.sortable(lo)!, CanonicalBytes.sortable(hi)!]
            )
        case .beginsWith(let p)?:
            return (" AND \(column) >= ?", [CanonicalBytes.sortable(p)!])
        case nil:
            return ("", [])
        }
    }

    /// Whether a stored sort-key value satisfies the range condition.
    func matches(_ value: AttributeValue) -> Bool {
        guard let range else { return true }
        switch range {
        case .compare(let op, let v):
            return ConditionEvaluator.evaluate(compare: op, value, v)
        case .between(let lo, let hi):
            return ConditionEvaluator.evaluate(compare: .greaterOrEqual, value, lo)
                && ConditionEvaluator.evaluate(compare: .lessOrEqual, value, hi)
        case .beginsWith(let prefix):
            switch (value, prefix) {
            case (.s(let s), .s(let p)): return s.utf8.starts(with: p.utf8)
            case (.b(let b), .b(let p)): return b.starts(with: p)
            default: return false
            }
        }
    }
}
