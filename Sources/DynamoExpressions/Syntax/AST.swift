import DynamoModel

/// One step of a document path: a map member or a list element.
public enum PathElement: Hashable, Sendable {
    case name(String)
    case index(Int)
}

/// A document path such as `a.b[2].c`, with placeholders already replaced by names.
public struct AttributePath: Hashable, Sendable, CustomStringConvertible {
    public var elements: [PathElement]

    public init(_ elements: [PathElement]) { self.elements = elements }

    /// The top-level attribute the path starts at.
    public var topLevelName: String {
        if case .name(let n) = elements[0] { return n }
        return ""
    }

    /// `[a, b, [2]]`: how DynamoDB prints paths in overlap errors.
    public var description: String {
        "["
            + elements.map { e in
                switch e {
                case .name(let n): n
                case .index(let i): "[\(i)]"
                }
            }.joined(separator: ", ") + "]"
    }

    /// True when one path is a prefix of the other (or they are equal): such paths conflict
    /// within one update or projection.
    func overlaps(_ other: AttributePath) -> Bool {
        let n = min(elements.count, other.elements.count)
        return Array(elements[0..<n]) == Array(other.elements[0..<n])
    }
}

/// A value inside a condition or update: a path into the item, a supplied value, or a function.
public indirect enum Operand: Sendable, Equatable {
    case path(AttributePath)
    case value(AttributeValue)
    /// `size(path)`, usable wherever a value is.
    case size(AttributePath)
    // Update-only forms:
    case ifNotExists(AttributePath, Operand)
    case listAppend(Operand, Operand)
    case plus(Operand, Operand)
    case minus(Operand, Operand)
}

public enum Comparator: String, Sendable {
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A parsed ConditionExpression, FilterExpression or KeyConditionExpression.
public indirect enum Condition: Sendable, Equatable {
    case compare(Comparator, Operand, Operand)
    case between(Operand, Operand, Operand)
    case isIn(Operand, [Operand])
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case attributeExists(AttributePath)
    case attributeNotExists(AttributePath)
    case attributeType(AttributePath, Operand)
    case beginsWith(Operand, Operand)
    case contains(Operand, Operand)
}

/// One action of an UpdateExpression.
public enum UpdateAction: Sendable, Equatable {
    case set(AttributePath, Operand)
    case remove(AttributePath)
    case add(AttributePath, Operand)
    case delete(AttributePath, Operand)

    public var path: AttributePath {
        switch self {
        case .set(let p, _), .remove(let p), .add(let p, _), .delete(let p, _): p
        }
    }
}
