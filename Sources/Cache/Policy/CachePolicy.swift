/// How long a table's cached items may be served, in milliseconds.
///
/// Fresh until `staleTime`; then, for `staleWhileRevalidate` more, served stale while one
/// background read refreshes the entry; when the table store fails (or throttles past the
/// retry deadline), served stale for `staleIfError` past `staleTime`. Absent items are
/// remembered for `negativeTTL`. An invalidation leaves a tombstone for `tombstone`, inside
/// which fills read with ConsistentRead (and GSI fills, which cannot, are not stored).
public struct CachePolicy: Sendable, Equatable {
    public var enabled = true
    public var staleTime: Int64 = 5_000
    public var staleWhileRevalidate: Int64 = 10_000
    public var staleIfError: Int64 = 60_000
    public var negativeTTL: Int64 = 2_000
    public var tombstone: Int64 = 3_000
    /// Query answers are cached (per partition group) unless this is false.
    public var cacheQueries = true
    /// Scan answers are cached (one group per table, dropped by every write to it) only when true.
    public var cacheScans = false

    public init() {}

    /// How long Redis keeps an entry at all: the longest any window can use it.
    public var outerTTL: Int64 {
        max(staleTime + max(staleWhileRevalidate, staleIfError), negativeTTL, tombstone) + 1_000
    }
}

extension CachePolicy {
    /// What a stored entry is worth now.
    public enum Freshness: Sendable, Equatable {
        case fresh
        case negative
        /// Past fresh, within stale-while-revalidate: serve and refresh once.
        case revalidate
        /// Too old to serve, except as stale-if-error.
        case expired
    }

    public func freshness(of entry: CacheEnvelope, now: Int64) -> Freshness {
        let age = now - entry.storedAtMilliseconds
        if !entry.present { return age <= negativeTTL ? .negative : .expired }
        if age <= staleTime { return .fresh }
        if age <= staleTime + staleWhileRevalidate { return .revalidate }
        return .expired
    }
}

/// Policies per table, with a default for tables not named.
public struct CachePolicies: Sendable, Equatable {
    public var defaultPolicy = CachePolicy()
    public var tables: [String: CachePolicy] = [:]

    public init() {}

    public func policy(for table: String) -> CachePolicy { tables[table] ?? defaultPolicy }
}
