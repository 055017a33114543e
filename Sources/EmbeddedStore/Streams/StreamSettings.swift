/// How the embedded store's streams age, in seconds: DynamoDB's values by default, settings so
/// tests can watch retention, iterator expiry and shard rollover happen in seconds.
public struct StreamSettings: Sendable, Equatable {
    /// Records older than this are trimmed (DynamoDB: 24 hours).
    public var retentionSeconds: Double = 86_400
    /// A shard iterator is refused after this (DynamoDB: 15 minutes).
    public var iteratorLifetimeSeconds: Double = 900
    /// An open shard older than this is closed at its next write and a child shard opened
    /// (DynamoDB rolls shards over every few hours).
    public var shardPeriodSeconds: Double = 4 * 3_600

    public init() {}
}
