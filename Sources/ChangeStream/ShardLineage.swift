/// A stream's shards and how far each has been read, as a plain value: which shard may be read
/// now (parents before children), and what becomes of one read to its end.
///
/// A shard whose parent is not (or no longer) listed counts as having no parent: DynamoDB trims
/// old shards after 24 hours, and their children must still be read.
struct ShardLineage: Sendable, Equatable {
    struct Shard: Sendable, Equatable {
        var id: String
        var parent: String?
        /// Read to its end (closed and no more records): its children may start.
        var done = false
    }

    private(set) var shards: [String: Shard] = [:]
    private(set) var order: [String] = []

    /// Adds shards DescribeStream listed (known ones keep their state); returns the new ids.
    @discardableResult
    mutating func learn(_ listed: [(id: String, parent: String?)]) -> [String] {
        var added: [String] = []
        for shard in listed where shards[shard.id] == nil {
            shards[shard.id] = Shard(id: shard.id, parent: shard.parent)
            order.append(shard.id)
            added.append(shard.id)
        }
        return added
    }

    /// Shards that may be read now: not done, and whose parent is done or unknown.
    var readable: [String] {
        order.filter { id in
            guard let shard = shards[id], !shard.done else { return false }
            guard let parent = shard.parent, let p = shards[parent] else { return true }
            return p.done
        }
    }

    mutating func finished(_ id: String) { shards[id]?.done = true }

    /// Shards no longer listed (trimmed) are forgotten once done.
    mutating func forget(except listed: Set<String>) {
        for id in order where !listed.contains(id) && shards[id]?.done == true { shards[id] = nil }
        order.removeAll { shards[$0] == nil }
    }
}
