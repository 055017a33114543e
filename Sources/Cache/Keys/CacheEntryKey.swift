import DynamoExpressions
import DynamoModel

/// Where one cached answer lives in Redis: a hash that is also its invalidation group, and the
/// field of this request's variant in it. Every variant of one group shares the hash, so one
/// DEL invalidates them all, leases included. This is the one place that spells the cache's
/// Redis names:
///
/// - item: `dc:{ns}:i:{table}:{key}`, one field per projection (`*` for the whole item);
/// - query: `dc:{ns}:q:{table}:{index or -}:{partition}`, one field per normalized query;
/// - scan: `dc:{ns}:s:{table}`, one field per normalized scan;
/// - generations: `dc:{ns}:g:{table}`, the table's and its global indexes' tokens and
///   tombstones (`GenerationStamp`), which whole-table and whole-index invalidation bump.
///
/// A GSI query group is labelled with its index (`dc:{ns}:x:{table}:{index}`): the L1 tier and
/// the single-flight bookkeeping drop every group of an index by that label; Redis needs no
/// list of them, since the index's generation retires them all.
public struct CacheEntryKey: Sendable, Hashable {
    public var table: String
    public var redisKey: [UInt8]
    public var field: [UInt8]
    /// The label of the global secondary index this group belongs to (GSI queries only).
    public var registry: [UInt8]?
    /// The GSI whose generation the entry depends on, besides its table's (GSI queries only).
    public var index: String?
    /// The table's generations hash.
    public var generations: [UInt8]
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
        self.index = nil
        self.generations = Self.generations(namespace: namespace, table: table)
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
        namespace: String, table: String, redisKey: [UInt8], field: [UInt8], globalIndex: String?, operation: String
    ) {
        self.table = table
        self.redisKey = redisKey
        self.field = field
        self.index = globalIndex
        self.registry = globalIndex.map { Self.registry(namespace: namespace, table: table, index: $0) }
        self.generations = Self.generations(namespace: namespace, table: table)
        self.operation = operation
        self.consistentFillPossible = globalIndex == nil
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

    /// The label of every query group of one global secondary index (L1 and single-flight only).
    public static func registry(namespace: String, table: String, index: String?) -> [UInt8] {
        Array("dc:\(namespace):x:\(table):\(index ?? "-")".utf8)
    }

    /// The group of every cached Scan of a table (and of its indexes).
    public static func scanGroup(namespace: String, table: String) -> [UInt8] {
        Array("dc:\(namespace):s:\(table)".utf8)
    }

    /// The table's generations hash (`GenerationStamp`).
    public static func generations(namespace: String, table: String) -> [UInt8] {
        Array("dc:\(namespace):g:\(table)".utf8)
    }

    /// The pattern of every generations hash of a namespace: a Redis that cannot be trusted has
    /// each bumped (work that grows with the number of tables, never of entries).
    static func generationsPattern(namespace: String) -> String { "dc:\(namespace):g:*" }

    /// A projection's field: paths with names length-prefixed, sorted, so that no attribute name
    /// (`a, b`, `a.b`, `[0]`) can imitate another projection.
    public static func projectionField(_ paths: [AttributePath]) -> String {
        Set(paths.map(\.canonicalText)).sorted().joined(separator: ",")
    }
}
