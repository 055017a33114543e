/// An error in DynamoDB's wire shape: the HTTP status, the `__type` that SDKs map to an
/// exception class (they read the part after `#`), and the `message`.
///
/// Every error the proxy itself produces goes out in this shape, so a client's SDK raises the
/// same exception it would have raised talking to DynamoDB directly.
public struct DynamoError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    /// The full `__type`, e.g. `com.amazon.coral.validate#ValidationException`.
    public var type: String
    public var message: String

    public init(status: Int, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// The exception's short name, as SDKs expose it (`ValidationException`).
    public var code: String {
        if let hash = type.lastIndex(of: "#") { return String(type[type.index(after: hash)...]) }
        return type
    }

    public var description: String { "\(code): \(message)" }

    /// The response body: `{"__type": …, "message": …}`. DynamoDB spells the member `message`
    /// for most errors; SDKs accept either case.
    public var body: [UInt8] {
        JSONWriter.bytes(.object(["__type": .string(type), "message": .string(message)]))
    }
}

extension DynamoError {
    static let coralService = "com.amazon.coral.service#"
    static let coralValidate = "com.amazon.coral.validate#"
    static let dynamo = "com.amazonaws.dynamodb.v20120810#"

    public static func validation(_ message: String) -> DynamoError {
        DynamoError(status: 400, type: coralValidate + "ValidationException", message: message)
    }

    public static func serialization(_ message: String) -> DynamoError {
        DynamoError(status: 400, type: coralService + "SerializationException", message: message)
    }

    public static func unknownOperation(_ target: String) -> DynamoError {
        DynamoError(
            status: 400,
            type: coralService + "UnknownOperationException",
            message: "Unknown operation: \(target)"
        )
    }

    public static func missingAuthenticationToken() -> DynamoError {
        DynamoError(
            status: 400,
            type: coralService + "MissingAuthenticationTokenException",
            message: "Request is missing Authentication Token"
        )
    }

    public static func invalidSignature(_ message: String) -> DynamoError {
        DynamoError(status: 400, type: coralService + "InvalidSignatureException", message: message)
    }

    public static func unrecognizedClient() -> DynamoError {
        DynamoError(
            status: 400,
            type: coralService + "UnrecognizedClientException",
            message: "The security token included in the request is invalid."
        )
    }

    public static func accessDenied(_ message: String) -> DynamoError {
        DynamoError(status: 400, type: coralService + "AccessDeniedException", message: message)
    }

    /// The request body is larger than the proxy accepts; DynamoDB's own limit is 16 MB.
    public static func requestTooLarge(limit: Int) -> DynamoError {
        DynamoError(
            status: 413,
            type: coralService + "RequestEntityTooLargeException",
            message: "Request body exceeds the maximum allowed size of \(limit) bytes"
        )
    }

    public static func internalServerError(_ message: String) -> DynamoError {
        DynamoError(status: 500, type: dynamo + "InternalServerError", message: message)
    }

    public static func serviceUnavailable(_ message: String) -> DynamoError {
        DynamoError(status: 503, type: coralService + "ServiceUnavailableException", message: message)
    }

    public static func resourceNotFound(_ message: String) -> DynamoError {
        DynamoError(status: 400, type: dynamo + "ResourceNotFoundException", message: message)
    }
}
