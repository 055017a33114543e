import DynamoModel

/// Entry points: parse each kind of expression against a request's placeholders.
///
/// Parsing records which placeholders were used; call `ExpressionAttributes.checkAllUsed()`
/// once every expression of the request is parsed.
public enum Expressions {
    public static func condition(
        _ text: String,
        kind: ExpressionKind = .condition,
        attributes: inout ExpressionAttributes
    ) throws(ExpressionError) -> Condition {
        var parser = try Parser(text, kind: kind, attributes: attributes)
        let condition = try parser.parseCondition()
        try parser.expectEnd()
        attributes = parser.attributes
        return condition
    }

    public static func update(_ text: String, attributes: inout ExpressionAttributes) throws(ExpressionError)
        -> [UpdateAction]
    {
        var parser = try Parser(text, kind: .update, attributes: attributes)
        let actions = try parser.parseUpdate()
        attributes = parser.attributes
        return actions
    }

    public static func projection(
        _ text: String,
        attributes: inout ExpressionAttributes
    ) throws(ExpressionError) -> [AttributePath] {
        var parser = try Parser(text, kind: .projection, attributes: attributes)
        let paths = try parser.parseProjection()
        attributes = parser.attributes
        return paths
    }
}
