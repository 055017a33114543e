import DynamoModel

/// The key attributes of a table and of each of its secondary indexes: what the cache needs to
/// name the query groups a write makes stale, and to find a Query's partition.
public struct TableKeySchema: Sendable, Equatable {
    public struct Index: Sendable, Equatable {
        public var partitionKey: String
        public var sortKey: String?
        /// A GSI: its own partition key, eventually consistent reads only.
        public var isGlobal: Bool

        public init(partitionKey: String, sortKey: String?, isGlobal: Bool) {
            self.partitionKey = partitionKey
            self.sortKey = sortKey
            self.isGlobal = isGlobal
        }
    }

    public var partitionKey: String
    public var sortKey: String?
    public var indexes: [String: Index]

    public init(partitionKey: String, sortKey: String?, indexes: [String: Index] = [:]) {
        self.partitionKey = partitionKey
        self.sortKey = sortKey
        self.indexes = indexes
    }

    /// Reads DescribeTable's `Table` member.
    public init?(describeTable table: JSONValue) {
        func keys(_ schema: JSONValue?) -> (String, String?)? {
            var hash: String?
            var range: String?
            for element in schema?.arrayValue ?? [] {
                switch element["KeyType"]?.stringValue {
                case "HASH": hash = element["AttributeName"]?.stringValue
                case "RANGE": range = element["AttributeName"]?.stringValue
                default: break
                }
            }
            return hash.map { ($0, range) }
        }
        guard let (hash, range) = keys(table["KeySchema"]) else { return nil }
        var indexes: [String: Index] = [:]
        for (member, isGlobal) in [("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false)] {
            for index in table[member]?.arrayValue ?? [] {
                guard let name = index["IndexName"]?.stringValue, let (h, r) = keys(index["KeySchema"]) else {
                    return nil
                }
                indexes[name] = Index(partitionKey: h, sortKey: r, isGlobal: isGlobal)
            }
        }
        self.init(partitionKey: hash, sortKey: range, indexes: indexes)
    }

    /// The primary key of an item (nil when the item lacks a key attribute).
    public func key(of item: Item) -> Item? {
        var key: Item = [:]
        key[partitionKey] = item[partitionKey]
        if let sortKey { key[sortKey] = item[sortKey] }
        return key.count == (sortKey == nil ? 1 : 2) ? key : nil
    }

    public var hasGlobalIndexes: Bool { indexes.values.contains { $0.isGlobal } }
}
