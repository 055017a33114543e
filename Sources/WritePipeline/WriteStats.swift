import DynamoModel
import NIOConcurrencyHelpers

/// What the write path did, for `/stats` under `writes`.
public final class WriteStats: Sendable {
    struct Counters {
        var clientWrites = 0
        var batchedWrites = 0
        var upstreamWriteRequests = 0
        var batches = 0
        var coalesced = 0
        var fallbacks = 0
        var resubmits = 0
        var deadlineExceeded = 0
        /// Items per BatchWriteItem: 1, 2–5, 6–10, 11–20, 21–25.
        var itemsPerBatch = [0, 0, 0, 0, 0]
    }

    let counters = NIOLockedValueBox(Counters())

    public init() {}

    func update(_ body: (inout Counters) -> Void) { counters.withLockedValue(body) }

    func recordBatch(items: Int) {
        update {
            $0.batches += 1
            $0.upstreamWriteRequests += 1
            let bucket = items <= 1 ? 0 : items <= 5 ? 1 : items <= 10 ? 2 : items <= 20 ? 3 : 4
            $0.itemsPerBatch[bucket] += 1
        }
    }

    /// A write that went through on its own (not batchable, or batching off).
    public func recordPassThrough() {
        update {
            $0.clientWrites += 1
            $0.upstreamWriteRequests += 1
        }
    }

    public var coalescedWrites: Int { counters.withLockedValue { $0.coalesced } }

    public var json: JSONValue {
        let c = counters.withLockedValue { $0 }
        func n(_ v: Int) -> JSONValue { .number(String(v)) }
        return .object([
            "clientWrites": n(c.clientWrites), "batchedWrites": n(c.batchedWrites),
            "upstreamWriteRequests": n(c.upstreamWriteRequests), "batches": n(c.batches),
            "coalesced": n(c.coalesced), "fallbacks": n(c.fallbacks), "resubmits": n(c.resubmits),
            "deadlineExceeded": n(c.deadlineExceeded),
            "itemsPerBatch": .object(
                zip(["1", "2-5", "6-10", "11-20", "21-25"], c.itemsPerBatch).reduce(into: [:]) { $0[$1.0] = n($1.1) }),
        ])
    }
}
