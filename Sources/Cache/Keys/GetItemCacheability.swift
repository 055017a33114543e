import DynamoExpressions
import DynamoModel

/// Reads a GetItem request and decides whether its answer may be cached: only requests whose
/// every parameter is on the allow-list, with an eventually consistent read.
public enum GetItemCacheability {
    public static let allowed: Set<String> = [
        "TableName", "Key", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead",
        "ReturnConsumedCapacity",
    ]

    public enum Decision: Sendable, Equatable {
        case cacheable(table: String, key: Item, projection: String?)
        case bypass(reason: String)
    }

    /// `table` is the table's name, also when the request named it by its ARN.
    public static func decide(_ request: JSONValue) -> Decision {
        guard case .object(let members) = request else { return .bypass(reason: "malformed") }
        for name in members.keys where !allowed.contains(name) { return .bypass(reason: "parameter \(name)") }
        if members["ConsistentRead"] == .bool(true) { return .bypass(reason: "ConsistentRead") }
        if let capacity = members["ReturnConsumedCapacity"], capacity != .null, capacity != .string("NONE") {
            return .bypass(reason: "ReturnConsumedCapacity")
        }
        guard let reference = members["TableName"]?.stringValue, let keyJSON = members["Key"],
            let key = try? Item.fromJSON(keyJSON, parameter: "Key"), !key.isEmpty
        else { return .bypass(reason: "malformed") }
        let table = TableReference.name(reference)
        var projection: String?
        if let text = members["ProjectionExpression"]?.stringValue {
            var attributes: ExpressionAttributes
            do {
                attributes = try ExpressionAttributes(request: request)
            } catch {
                return .bypass(reason: "malformed")
            }
            // With names substituted and paths sorted, equivalent projections share an entry; an
            // unused placeholder is the table store's error to give.
            guard let paths = try? Expressions.projection(text, attributes: &attributes),
                (try? attributes.checkAllUsed()) != nil
            else {
                return .bypass(reason: "malformed")
            }
            projection = CacheEntryKey.projectionField(paths)
        } else if members["ExpressionAttributeNames"] != nil {
            return .bypass(reason: "names without projection")
        }
        return .cacheable(table: table, key: key, projection: projection)
    }
}
