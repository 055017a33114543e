import DynamoExpressions
import DynamoModel

/// Where one GetItem answer lives in Redis: the item's hash (`dc:{ns}:i:{table}:{key}`) and
/// the field of its projection variant (`*` for the whole item). Every variant of one item
/// shares the hash, so one DEL invalidates them all, leases included.
public struct ItemCacheKey: Sendable, Hashable {
    public var table: String
    public var redisKey: [UInt8]
    public var field: [UInt8]

    public init(namespace: String, table: String, key: CanonicalBytes, projection: String?) {
        self.table = table
        self.redisKey = Array("dc:\(namespace):i:\(table):\(key)".utf8)
        self.field = Array((projection ?? "*").utf8)
    }

    /// The hash of an item, whatever the projection: what an invalidation deletes.
    public static func itemHash(namespace: String, table: String, key: CanonicalBytes) -> [UInt8] {
        Array("dc:\(namespace):i:\(table):\(key)".utf8)
    }
}

/// The namespace: a short hash of the upstream identity, so two upstreams or two accounts never
/// share entries (FNV-1a, 64 bits, hex).
public enum CacheNamespace {
    public static func make(endpoint: String, region: String, accessKeyID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(endpoint)|\(region)|\(accessKeyID)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

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

    public static func decide(_ request: JSONValue) -> Decision {
        guard case .object(let members) = request else { return .bypass(reason: "malformed") }
        for name in members.keys where !allowed.contains(name) { return .bypass(reason: "parameter \(name)") }
        if members["ConsistentRead"] == .bool(true) { return .bypass(reason: "ConsistentRead") }
        if let capacity = members["ReturnConsumedCapacity"], capacity != .null, capacity != .string("NONE") {
            return .bypass(reason: "ReturnConsumedCapacity")
        }
        guard let table = members["TableName"]?.stringValue, let keyJSON = members["Key"],
            let key = try? Item.fromJSON(keyJSON, parameter: "Key"), !key.isEmpty
        else { return .bypass(reason: "malformed") }
        var projection: String?
        if let text = members["ProjectionExpression"]?.stringValue {
            var attributes: ExpressionAttributes
            do {
                attributes = try ExpressionAttributes(request: request)
            } catch {
                return .bypass(reason: "malformed")
            }
            // With names substituted and paths sorted, equivalent projections share an entry.
            guard let paths = try? Expressions.projection(text, attributes: &attributes) else {
                return .bypass(reason: "malformed")
            }
            projection = paths.map(\.description).sorted().joined(separator: ",")
        } else if members["ExpressionAttributeNames"] != nil {
            return .bypass(reason: "names without projection")
        }
        return .cacheable(table: table, key: key, projection: projection)
    }
}
