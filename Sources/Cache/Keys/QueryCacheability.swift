import DynamoExpressions
import DynamoModel

/// Reads a Query or Scan and decides whether its answer may be cached, and where: only
/// requests whose every parameter is on the allow-list, eventually consistent, with valid
/// expressions; anything else (legacy parameters, ConsistentRead, ReturnConsumedCapacity,
/// unused placeholders) goes to the table store, which gives its own answer or error.
///
/// The field is the request normalized: expressions with names and values substituted,
/// projection paths sorted, every other allowed parameter in a fixed order.
public enum QueryCacheability {
    static let common: Set<String> = [
        "TableName", "IndexName", "FilterExpression", "ProjectionExpression", "ExpressionAttributeNames",
        "ExpressionAttributeValues", "Limit", "ExclusiveStartKey", "Select", "ConsistentRead",
        "ReturnConsumedCapacity",
    ]
    public static let queryAllowed = common.union(["KeyConditionExpression", "ScanIndexForward"])
    public static let scanAllowed = common.union(["Segment", "TotalSegments"])

    public enum Decision: Sendable, Equatable {
        case cacheable(CacheEntryKey)
        case bypass(reason: String)
    }

    public static func decide(_ request: JSONValue, operation: String, namespace: String, schema: TableKeySchema)
        -> Decision
    {
        let isQuery = operation == "Query"
        guard case .object(let members) = request else { return .bypass(reason: "malformed") }
        let allowed = isQuery ? queryAllowed : scanAllowed
        for name in members.keys where !allowed.contains(name) { return .bypass(reason: "parameter \(name)") }
        if members["ConsistentRead"] == .bool(true) { return .bypass(reason: "ConsistentRead") }
        if let capacity = members["ReturnConsumedCapacity"], capacity != .null, capacity != .string("NONE") {
            return .bypass(reason: "ReturnConsumedCapacity")
        }
        guard let reference = members["TableName"]?.stringValue else { return .bypass(reason: "malformed") }
        let table = TableReference.name(reference)
        let indexName = members["IndexName"]?.stringValue
        var index: TableKeySchema.Index?
        if let indexName {
            guard let known = schema.indexes[indexName] else { return .bypass(reason: "unknown index") }
            index = known
        }
        guard var attributes = try? ExpressionAttributes(request: request) else { return .bypass(reason: "malformed") }

        var field = isQuery ? "Q" : "S"
        var partition: AttributeValue?
        if isQuery {
            guard let text = members["KeyConditionExpression"]?.stringValue,
                let condition = try? Expressions.condition(text, kind: .keyCondition, attributes: &attributes),
                let value = partitionValue(condition, name: index?.partitionKey ?? schema.partitionKey)
            else { return .bypass(reason: "key condition") }
            partition = value
            field += "|k=" + condition.canonicalText
        }
        if let text = members["FilterExpression"]?.stringValue {
            guard let condition = try? Expressions.condition(text, kind: .filter, attributes: &attributes) else {
                return .bypass(reason: "filter")
            }
            field += "|f=" + condition.canonicalText
        }
        if let text = members["ProjectionExpression"]?.stringValue {
            guard let paths = try? Expressions.projection(text, attributes: &attributes) else {
                return .bypass(reason: "projection")
            }
            field += "|p=" + CacheEntryKey.projectionField(paths)
        }
        guard (try? attributes.checkAllUsed()) != nil else { return .bypass(reason: "unused placeholder") }
        if let startKey = members["ExclusiveStartKey"] {
            guard let key = try? Item.fromJSON(startKey, parameter: "ExclusiveStartKey") else {
                return .bypass(reason: "malformed")
            }
            field += "|e=\(CanonicalBytes(key: key))"
        }
        for name in ["Limit", "Segment", "TotalSegments"] {
            if let value = members[name] {
                guard case .number(let number) = value, let n = Int(number) else { return .bypass(reason: "malformed") }
                field += "|\(name)=\(n)"
            }
        }
        if let value = members["ScanIndexForward"] {
            guard case .bool(let forward) = value else { return .bypass(reason: "malformed") }
            field += forward ? "" : "|backward"
        }
        if let value = members["Select"] {
            guard let select = value.stringValue else { return .bypass(reason: "malformed") }
            field += "|s=\(select)"
        }
        if let indexName { field += "|i=\(indexName)" }

        let group =
            partition.map {
                CacheEntryKey.queryGroup(
                    namespace: namespace, table: table, index: indexName, partition: CanonicalBytes(value: $0))
            } ?? CacheEntryKey.scanGroup(namespace: namespace, table: table)
        // Only a GSI's partitions can be unknown to a write (the base table's and an LSI's come
        // from the item's own key): its entries also depend on the index's generation.
        return .cacheable(
            CacheEntryKey(
                namespace: namespace, table: table, redisKey: group, field: Array(field.utf8),
                globalIndex: index?.isGlobal == true ? indexName : nil, operation: operation))
    }

    /// The value a key condition requires of the partition key (`pk = :v`, either way round).
    static func partitionValue(_ condition: Condition, name: String) -> AttributeValue? {
        switch condition {
        case .and(let a, let b):
            return partitionValue(a, name: name) ?? partitionValue(b, name: name)
        case .compare(.equal, .path(let p), .value(let v)), .compare(.equal, .value(let v), .path(let p)):
            return p.elements == [.name(name)] ? v : nil
        default:
            return nil
        }
    }
}
