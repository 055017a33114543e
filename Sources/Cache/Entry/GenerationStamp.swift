import Redis

/// Whole-table and whole-index invalidation in O(1) Redis commands (DESIGN.md, "Cache layout"):
/// each table has a generations hash (`CacheEntryKey.generations`) with a token for the table
/// (`t`) and one per global secondary index (`i:NAME`), and beside each token the time its
/// tombstone ends (`~t`, `~i:NAME`). Every entry carries the tokens it was filled under (its
/// stamp); an entry whose stamp is not the current one is dead, however many there are, and the
/// tombstone makes fills after the bump read consistently (or not be stored, for an index).
///
/// Tokens are random, never counters: a generations hash that Redis lost (eviction, a restart
/// without persistence) gets new tokens, so entries filled before can never match again; until
/// it has them, nothing is served.
enum GenerationStamp {
    /// The fields a read of `index` (nil for items, base-table and LSI queries, scans) needs.
    static func fields(index: String?) -> [[UInt8]] {
        guard let index else { return [Array("t".utf8)] }
        return [Array("t".utf8), Array("i:\(index)".utf8)]
    }

    /// The stamp of an HMGET of `fields`: the tokens joined, or nil when one is missing.
    static func stamp(_ reply: RedisValue) -> [UInt8]? {
        guard let parts = reply.array, !parts.isEmpty else { return nil }
        var out: [UInt8] = []
        for (i, part) in parts.enumerated() {
            guard let token = part.bytes, !token.isEmpty else { return nil }
            if i > 0 { out.append(UInt8(ascii: "/")) }
            out.append(contentsOf: token)
        }
        return out
    }

    /// A new token: a bump, or a generations hash that does not exist yet.
    static func newToken() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return Array(String(generator.next(), radix: 36).utf8)
    }
}
