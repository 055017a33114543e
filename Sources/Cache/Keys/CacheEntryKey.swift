import DynamoModel

/// Where one cached answer lives in Redis: a hash that is also its invalidation group, and the
/// field of this request's variant in it. Every variant of one group shares the hash, so one
/// DEL invalidates them all, leases included.
///
/// - item: `dc:{ns}:i:{table}:{key}`, one field per projection (`*` for the whole item);
/// - query: `dc:{ns}:q:{table}:{index or -}:{partition}`, one field per normalized query;
/// - scan: `dc:{ns}:s:{table}`, one field per normalized scan.
///
/// A query group also names its index's registry (`dc:{ns}:x:{table}:{index or -}`), the hash
/// of every group of that index, so a write whose index partitions are unknown can drop them all.
public struct CacheEntryKey: Sendable, Hashable {
    public var table: String
    public var redisKey: [UInt8]
    public var field: [UInt8]
    /// The index registry this group is listed in (queries only).
    public var registry: [UInt8]?
    /// For stats: GetItem, Query or Scan.
    public var operation: String
    /// False where a consistent read is impossible (a GSI): a fill inside a tombstone is not kept.
    public var consistentFillPossible: Bool
    /// The item's key as people read it (`pk=u1 sk=7`), for the hot-key report; items only.
    public var display: String?

    public init(namespace: String, table: String, key: CanonicalBytes, projection: String?) {
        self.table = table
        self.redisKey = Self.itemHash(namespace: namespace, table: table, key: key)
        self.field = Array((projection ?? "*").utf8)
        self.registry = nil
        self.operation = "GetItem"
        self.consistentFillPossible = true
        self.display = nil
    }

    /// An item key with its readable form, for GetItem (whose keys the hot-key report counts).
    public init(namespace: String, table: String, keyItem: Item, projection: String?) {
        self.init(namespace: namespace, table: table, key: CanonicalBytes(key: keyItem), projection: projection)
        self.display = keyItem.keys.sorted().map { name in
            switch keyItem[name]! {
            case .s(let s): "\(name)=\(s)"
            case .n(let n): "\(name)=\(n)"
            case .b(let b): "\(name)=b64:\(Base64.encode(b))"
            default: "\(name)=?"
            }
        }.joined(separator: " ")
    }

    init(
        table: String, redisKey: [UInt8], field: [UInt8], registry: [UInt8]?, operation: String,
        consistentFillPossible: Bool
    ) {
        self.table = table
        self.redisKey = redisKey
        self.field = field
        self.registry = registry
        self.operation = operation
        self.consistentFillPossible = consistentFillPossible
    }

    /// The hash of an item, whatever the projection: what an invalidation deletes.
    public static func itemHash(namespace: String, table: String, key: CanonicalBytes) -> [UInt8] {
        Array("dc:\(namespace):i:\(table):\(key)".utf8)
    }

    /// The group of one partition of a table (`index` nil) or of one of its indexes.
    public static func queryGroup(namespace: String, table: String, index: String?, partition: CanonicalBytes)
        -> [UInt8]
    {
        Array("dc:\(namespace):q:\(table):\(index ?? "-"):\(partition)".utf8)
    }

    /// The registry of every query group of a table (`index` nil) or of one of its indexes.
    public static func registry(namespace: String, table: String, index: String?) -> [UInt8] {
        Array("dc:\(namespace):x:\(table):\(index ?? "-")".utf8)
    }

    /// The group of every cached Scan of a table (and of its indexes).
    public static func scanGroup(namespace: String, table: String) -> [UInt8] {
        Array("dc:\(namespace):s:\(table)".utf8)
    }
}
