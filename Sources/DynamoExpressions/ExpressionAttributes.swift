import DynamoModel

/// A request's ExpressionAttributeNames and ExpressionAttributeValues, with a record of which
/// were used, because DynamoDB refuses a request that supplies a placeholder no expression uses.
public struct ExpressionAttributes: Sendable {
    public let names: [String: String]
    public let values: [String: AttributeValue]
    var usedNames: Set<String> = []
    var usedValues: Set<String> = []

    public init(names: [String: String] = [:], values: [String: AttributeValue] = [:]) {
        self.names = names
        self.values = values
    }

    /// Reads both maps from a request; either may be absent.
    public init(request: JSONValue) throws(DynamoError) {
        var names: [String: String] = [:]
        if let n = request["ExpressionAttributeNames"], n != .null {
            guard case .object(let members) = n else {
                throw DynamoError.serialization("ExpressionAttributeNames must be a map")
            }
            for (k, v) in members {
                guard case .string(let s) = v else {
                    throw DynamoError.serialization("ExpressionAttributeNames values must be strings")
                }
                names[k] = s
            }
        }
        var values: [String: AttributeValue] = [:]
        if let v = request["ExpressionAttributeValues"], v != .null {
            values = try Item.fromJSON(v, parameter: "ExpressionAttributeValues")
        }
        if names.isEmpty, request["ExpressionAttributeNames"] != nil, request["ExpressionAttributeNames"] != .null {
            throw DynamoError.validation("ExpressionAttributeNames must not be empty")
        }
        if values.isEmpty, request["ExpressionAttributeValues"] != nil, request["ExpressionAttributeValues"] != .null {
            throw DynamoError.validation("ExpressionAttributeValues must not be empty")
        }
        self.init(names: names, values: values)
    }

    mutating func name(_ placeholder: String, kind: ExpressionKind) throws(ExpressionError) -> String {
        guard let name = names["#" + placeholder] else {
            throw .invalid(
                kind,
                "An expression attribute name used in the document path is not defined; attribute name: #\(placeholder)"
            )
        }
        usedNames.insert("#" + placeholder)
        return name
    }

    mutating func value(_ placeholder: String, kind: ExpressionKind) throws(ExpressionError) -> AttributeValue {
        guard let value = values[":" + placeholder] else {
            throw .invalid(
                kind,
                "An expression attribute value used in expression is not defined; attribute value: :\(placeholder)")
        }
        usedValues.insert(":" + placeholder)
        return value
    }

    /// After every expression of a request is parsed: refuse placeholders that none used.
    public func checkAllUsed() throws(DynamoError) {
        let unusedNames = Set(names.keys).subtracting(usedNames)
        if !unusedNames.isEmpty {
            throw DynamoError.validation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {\(unusedNames.sorted().joined(separator: ", "))}"
            )
        }
        let unusedValues = Set(values.keys).subtracting(usedValues)
        if !unusedValues.isEmpty {
            throw DynamoError.validation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {\(unusedValues.sorted().joined(separator: ", "))}"
            )
        }
    }
}
