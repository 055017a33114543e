import DynamoModel

/// What the proxy itself counted during a run: the difference of two `/stats` readings of its
/// admin listener. Hit ratio from the client's side comes from `x-dynacache-cache`; this adds
/// what only the proxy knows: upstream calls, write batching and coalescing.
///
/// Reads are summed per table, leaving out tables the load generator did not drive (the
/// coherence checker's), so the hit ratio here and the header's count the same reads. Writes
/// are counted by the proxy for all tables together: `upstreamCallsSaved` is therefore given as
/// a share of `requestsSeen`, everything the proxy counted, never of the generator's requests.
public struct ProxyCounters: Sendable, Codable, Equatable {
    public var cacheServed = 0
    public var freshHits = 0
    public var staleHits = 0
    public var negativeHits = 0
    public var misses = 0
    public var bypass = 0
    /// Reads the cache sent to the table store.
    public var upstreamReads = 0
    public var clientWrites = 0
    public var upstreamWriteRequests = 0
    public var writeBatches = 0
    public var coalescedWrites = 0

    public init() {}

    /// Reads from `/stats` JSON: `tables` (all but `excluding`) or, without it, `totals`; and
    /// `writes`.
    public init(stats: JSONValue, excluding: Set<String> = []) {
        func n(_ v: JSONValue?) -> Int { v?.numberText.flatMap { Double($0) }.map { Int($0) } ?? 0 }
        var readCounters: [JSONValue] = []
        if let tables = stats["tables"]?.objectValue {
            for (table, operations) in tables where !excluding.contains(table) {
                readCounters += (operations.objectValue ?? [:]).values
            }
        } else if let totals = stats["totals"] {
            readCounters = [totals]
        }
        for t in readCounters {
            cacheServed += n(t["hits"])
            freshHits += n(t["freshHits"])
            staleHits += n(t["staleHits"])
            negativeHits += n(t["negativeHits"])
            misses += n(t["misses"])
            bypass += n(t["bypass"])
            upstreamReads += n(t["upstreamCalls"])
        }
        let w = stats["writes"]
        clientWrites = n(w?["clientWrites"])
        upstreamWriteRequests = n(w?["upstreamWriteRequests"])
        writeBatches = n(w?["batches"])
        coalescedWrites = n(w?["coalesced"])
    }

    public static func - (a: Self, b: Self) -> Self {
        var d = Self()
        d.cacheServed = a.cacheServed - b.cacheServed
        d.freshHits = a.freshHits - b.freshHits
        d.staleHits = a.staleHits - b.staleHits
        d.negativeHits = a.negativeHits - b.negativeHits
        d.misses = a.misses - b.misses
        d.bypass = a.bypass - b.bypass
        d.upstreamReads = a.upstreamReads - b.upstreamReads
        d.clientWrites = a.clientWrites - b.clientWrites
        d.upstreamWriteRequests = a.upstreamWriteRequests - b.upstreamWriteRequests
        d.writeBatches = a.writeBatches - b.writeBatches
        d.coalescedWrites = a.coalescedWrites - b.coalescedWrites
        return d
    }

    /// Cache lookups answered without the table store.
    public var hitRatio: Double {
        let lookups = cacheServed + misses
        return lookups == 0 ? 0 : Double(cacheServed) / Double(lookups)
    }

    /// Every client request the proxy counted here: reads looked up or bypassed, and writes.
    public var requestsSeen: Int { cacheServed + misses + bypass + clientWrites }

    /// Client requests the table store never saw: reads served from the cache (and misses joined
    /// to another's upstream call), plus writes folded into batches.
    public var upstreamCallsSaved: Int {
        let reads = max(0, cacheServed + misses + bypass - upstreamReads)
        let writes = max(0, clientWrites - upstreamWriteRequests)
        return reads + writes
    }

    static func fetch(client: LoadClient, adminURL: String, token: String?, excluding: Set<String> = [])
        async -> ProxyCounters?
    {
        let url = (adminURL.hasSuffix("/") ? String(adminURL.dropLast()) : adminURL) + "/stats"
        guard let (status, body) = try? await client.get(url, token: token), status == 200,
            let json = try? JSONParser.parse(body)
        else { return nil }
        return ProxyCounters(stats: json, excluding: excluding)
    }
}
