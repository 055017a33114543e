import DynamoModel

/// Which request parameter an expression came from; DynamoDB names it in every error.
public enum ExpressionKind: String, Sendable {
    case condition = "ConditionExpression"
    case filter = "FilterExpression"
    case keyCondition = "KeyConditionExpression"
    case projection = "ProjectionExpression"
    case update = "UpdateExpression"
}

/// Why an expression was refused, phrased as DynamoDB phrases it. Every case becomes a
/// `ValidationException`: a malformed expression is the client's error, never a crash.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    public var dynamoError: DynamoError { .validation(message) }

    static func invalid(_ kind: ExpressionKind, _ detail: String) -> ExpressionError {
        ExpressionError("Invalid \(kind.rawValue): \(detail)")
    }

    static func syntax(_ kind: ExpressionKind, token: String, near: String) -> ExpressionError {
        invalid(kind, "Syntax error; token: \"\(token)\", near: \"\(near)\"")
    }
}
