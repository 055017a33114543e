/// What makes the embedded store behave like a remote DynamoDB in tests and load tests: how its
/// streams age, how often expired items are swept, injected latency, replica lag. Defaults are
/// DynamoDB's (streams) or off (latency, lag).
public struct EmbeddedStoreSettings: Sendable, Equatable {
    public var streams = StreamSettings()
    /// How often the TTL sweeper deletes expired items (DynamoDB takes up to days; 0: never).
    public var ttlSweepIntervalSeconds: Double = 5
    /// A delay added to every request, uniformly within ± jitter: a remote DynamoDB's latency.
    public var latencyMilliseconds: Double = 0
    public var latencyJitterMilliseconds: Double = 0
    /// One partition key's items in a table with LSIs may not grow past this (DynamoDB: 10 GB).
    public var itemCollectionLimitBytes = 10 * 1024 * 1024 * 1024
    /// How many seconds of unused provisioned capacity a table or GSI keeps for bursts
    /// (DynamoDB: 300); a new bucket starts full.
    public var capacityBurstSeconds: Double = 300
    /// Eventually consistent reads see the table as it was this long ago (0: off).
    public var replicaLagMilliseconds: Double = 0

    public init() {}

    /// Reads `MS` or `MS±MS` (also `MS+-MS`), as `--latency` takes it.
    public mutating func setLatency(_ text: String) -> Bool {
        let normalized = text.replacingOccurrences(of: "+-", with: "±")
        let parts = normalized.split(separator: "±", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let base = Double(parts[0]), base >= 0 else { return false }
        var jitter = 0.0
        if parts.count == 2 {
            guard let j = Double(parts[1]), j >= 0, j <= base else { return false }
            jitter = j
        }
        latencyMilliseconds = base
        latencyJitterMilliseconds = jitter
        return true
    }
}
