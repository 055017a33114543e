import DynamoModel

/// One client's PutItem or DeleteItem, checked and ready to join a BatchWriteItem: the table,
/// the item's key (exactly the key attributes) and the batch entry that writes it.
public struct PendingWrite: Sendable {
    public var table: String
    public var key: Item
    public var canonicalKey: CanonicalBytes
    /// `{"PutRequest": {"Item": …}}` or `{"DeleteRequest": {"Key": …}}`.
    public var entry: JSONValue
    /// The item written (nil for a delete): what invalidation knows of the new image.
    public var newImage: Item?
    /// The client's own request, sent alone when its batch cannot be.
    public var operation: String
    public var body: [UInt8]
    public var sizeBytes: Int
}

/// The key attributes a table declares, with their types: enough to check an item before it
/// joins a batch, so one bad item cannot fail the others.
public struct KeyAttributes: Sendable, Equatable {
    public var names: [String]
    public var types: [String: String]

    public init(names: [String], types: [String: String]) {
        self.names = names
        self.types = types
    }

    /// From DescribeTable's `Table`.
    public init?(describeTable table: JSONValue) {
        let names = (table["KeySchema"]?.arrayValue ?? []).compactMap { $0["AttributeName"]?.stringValue }
        var types: [String: String] = [:]
        for definition in table["AttributeDefinitions"]?.arrayValue ?? [] {
            if let n = definition["AttributeName"]?.stringValue, let t = definition["AttributeType"]?.stringValue {
                types[n] = t
            }
        }
        guard !names.isEmpty, names.allSatisfy({ types[$0] != nil }) else { return nil }
        self.init(names: names, types: types)
    }
}

/// Decides whether a write may be batched: PutItem and DeleteItem with no condition, no
/// ReturnValues, no ReturnConsumedCapacity or item collection metrics, no legacy or unknown
/// parameters, and a well-formed key and item. Anything else is sent as it came (and gets
/// DynamoDB's own answer, error included).
public enum WriteBatchability {
    static let putAllowed: Set<String> = [
        "TableName", "Item", "ReturnValues", "ReturnConsumedCapacity",
        "ReturnItemCollectionMetrics",
    ]
    static let deleteAllowed: Set<String> = [
        "TableName", "Key", "ReturnValues", "ReturnConsumedCapacity",
        "ReturnItemCollectionMetrics",
    ]

    public static func decide(operation: String, body: [UInt8], json: JSONValue, keys: KeyAttributes?)
        -> PendingWrite?
    {
        guard operation == "PutItem" || operation == "DeleteItem", case .object(let members) = json,
            let table = members["TableName"]?.stringValue, let keys
        else { return nil }
        let allowed = operation == "PutItem" ? putAllowed : deleteAllowed
        guard members.keys.allSatisfy(allowed.contains) else { return nil }
        for name in ["ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"] {
            if let v = members[name], v != .null, v != .string("NONE") { return nil }
        }
        let member = operation == "PutItem" ? "Item" : "Key"
        guard let itemJSON = members[member], let item = try? Item.fromJSON(itemJSON, parameter: member) else {
            return nil
        }
        if operation == "DeleteItem" && item.count != keys.names.count { return nil }
        var key: Item = [:]
        for name in keys.names {
            guard let value = item[name], value.typeDescriptor == keys.types[name] else { return nil }
            switch value {
            case .s(let s) where s.isEmpty: return nil
            case .b(let b) where b.isEmpty: return nil
            default: key[name] = value
            }
        }
        let size = ItemSize.of(item)
        guard size <= ItemSize.maximumItemBytes else { return nil }
        let entry: JSONValue =
            operation == "PutItem"
            ? .object(["PutRequest": .object(["Item": itemJSON])])
            : .object(["DeleteRequest": .object(["Key": itemJSON])])
        return PendingWrite(
            table: table, key: key, canonicalKey: CanonicalBytes(key: key), entry: entry,
            newImage: operation == "PutItem" ? item : nil, operation: operation, body: body, sizeBytes: size)
    }
}
