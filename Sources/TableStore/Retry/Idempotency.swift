import DynamoModel

/// Which requests may be sent again when the first attempt's outcome is unknown: applying
/// them twice leaves the table as applying them once.
public enum Idempotency {
    static let readOperations: Set<String> = [
        "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables",
        "DescribeTimeToLive", "DescribeLimits", "DescribeEndpoints", "ListTagsOfResource",
        "DescribeContinuousBackups", "ListBackups", "DescribeBackup",
        "DescribeStream", "GetRecords", "GetShardIterator", "ListStreams",
    ]

    public static func isIdempotent(_ operation: Operation, body: JSONValue?) -> Bool {
        if readOperations.contains(operation.name) { return true }
        guard let body else { return false }
        switch operation.name {
        case "PutItem", "DeleteItem":
            return !isConditional(body)
        case "BatchWriteItem":
            // Puts and deletes only, never conditional.
            return true
        case "UpdateItem":
            guard !isConditional(body), body["AttributeUpdates"] == nil else { return false }
            guard let expression = body["UpdateExpression"]?.stringValue else { return true }
            return !updateIsCumulative(expression)
        case "TransactWriteItems":
            return body["ClientRequestToken"]?.stringValue?.isEmpty == false
        default:
            return false
        }
    }

    static func isConditional(_ body: JSONValue) -> Bool {
        for name in ["ConditionExpression", "Expected"] {
            if let value = body[name], value != .null { return true }
        }
        return false
    }

    /// ADD, arithmetic and list_append change the item relative to what it was, so applying
    /// them twice differs from once. Attribute names cannot contain `+` or `-` (those need
    /// placeholders), so a sign anywhere is arithmetic; keywords are matched as whole words.
    static func updateIsCumulative(_ expression: String) -> Bool {
        if expression.contains("+") || expression.contains("-") { return true }
        var word = ""
        for scalar in expression.unicodeScalars {
            let isWordChar =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "#" || scalar == ":"
            if isWordChar {
                word.unicodeScalars.append(scalar)
                continue
            }
            if isCumulativeWord(word) { return true }
            word = ""
        }
        return isCumulativeWord(word)
    }

    static func isCumulativeWord(_ word: String) -> Bool {
        let upper = word.uppercased()
        return upper == "ADD" || upper == "LIST_APPEND"
    }
}
