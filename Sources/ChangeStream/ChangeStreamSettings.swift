/// How the change-stream consumer runs: which tables besides those the proxy caches, how often
/// idle shards are polled (backing off between the two bounds), how often shards are listed
/// again, and how long one proxy's lease on a table's stream lasts without renewal.
public struct ChangeStreamSettings: Sendable, Equatable {
    public var enabled = true
    public var tables: [String] = []
    public var idlePollMinMilliseconds: Double = 100
    public var idlePollMaxMilliseconds: Double = 1_000
    public var describeIntervalMilliseconds: Double = 2_000
    public var leaseMilliseconds: Double = 10_000
    /// At most this many tables' streams are followed; reads of further tables are served
    /// without stream invalidation (counted in `/stats` as `unwatchedTables`).
    public var maxTables = 1_000

    public init() {}
}
