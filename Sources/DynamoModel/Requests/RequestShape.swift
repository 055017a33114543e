/// Checks that a request body has DynamoDB's shape before the proxy acts on it.
///
/// The proxy forwards the client's bytes unchanged, so this does not rewrite anything: it makes
/// sure that what the proxy will later read (keys, items, expression values) is well typed, and
/// that a malformed request gets DynamoDB's `SerializationException` or `ValidationException`
/// from the proxy rather than whatever an upstream emulator happens to do with it. Missing
/// required parameters are left to the table store, whose messages name them precisely.
public enum RequestShape {
    /// Parses and checks a request body for `operation`, returning the parsed document.
    public static func validate(body: some Collection<UInt8>, operation: Operation) throws(DynamoError) -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw DynamoError.serialization("Malformed JSON request body: \(error)")
        }
        guard case .object = json else {
            throw DynamoError.serialization("The request body must be a JSON object, found \(json.typeName)")
        }
        try walk(json, path: "")
        return json
    }

    static let stringMembers: Set<String> = [
        "TableName", "IndexName", "ProjectionExpression", "ConditionExpression", "FilterExpression",
        "KeyConditionExpression", "UpdateExpression", "Select", "ReturnValues", "ReturnConsumedCapacity",
        "ReturnItemCollectionMetrics", "ConditionalOperator", "ClientRequestToken",
        "ReturnValuesOnConditionCheckFailure", "ExclusiveStartTableName", "StreamArn", "ShardId",
        "ShardIteratorType", "SequenceNumber", "ShardIterator", "ExclusiveStartShardId",
        "ExclusiveStartStreamArn", "BillingMode", "TableClass", "Statement", "NextToken",
    ]
    static let integerMembers: Set<String> = ["Limit", "Segment", "TotalSegments"]
    static let booleanMembers: Set<String> = ["ConsistentRead", "ScanIndexForward"]
    static let attributeMapMembers: Set<String> = [
        "Key", "Item", "ExclusiveStartKey", "ExpressionAttributeValues",
    ]

    static func walk(_ json: JSONValue, path: String) throws(DynamoError) {
        switch json {
        case .object(let members):
            for (name, value) in members {
                try member(name, value, path: path.isEmpty ? name : "\(path).\(name)")
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() { try walk(element, path: "\(path)[\(i)]") }
        default:
            break
        }
    }

    static func member(_ name: String, _ value: JSONValue, path: String) throws(DynamoError) {
        if case .null = value { return }
        if stringMembers.contains(name) {
            guard case .string = value else { throw mismatch(path, expected: "string", found: value) }
        } else if integerMembers.contains(name) {
            guard case .number = value else { throw mismatch(path, expected: "integer", found: value) }
            guard value.intValue != nil else {
                throw DynamoError.serialization("\(path): expected an integer, found \(value)")
            }
        } else if booleanMembers.contains(name) {
            guard case .bool = value else { throw mismatch(path, expected: "boolean", found: value) }
        } else if attributeMapMembers.contains(name) {
            _ = try Item.fromJSON(value, parameter: path)
        } else if name == "Keys" {
            guard case .array(let keys) = value else { throw mismatch(path, expected: "list", found: value) }
            for key in keys { _ = try Item.fromJSON(key, parameter: path) }
        } else if name == "ExpressionAttributeNames" {
            guard case .object(let names) = value else { throw mismatch(path, expected: "map", found: value) }
            for (placeholder, attribute) in names {
                guard case .string = attribute else {
                    throw mismatch("\(path).\(placeholder)", expected: "string", found: attribute)
                }
            }
        } else if name == "RequestItems" {
            // Keyed by table name, which may be any string: look only at the values.
            guard case .object(let tables) = value else { throw mismatch(path, expected: "map", found: value) }
            for (table, request) in tables { try walk(request, path: "\(path).\(table)") }
        } else {
            try walk(value, path: path)
        }
    }

    static func mismatch(_ path: String, expected: String, found: JSONValue) -> DynamoError {
        .serialization("\(path): expected a \(expected), found a \(found.typeName)")
    }
}
