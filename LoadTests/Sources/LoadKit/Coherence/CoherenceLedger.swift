/// The coherence checker's bookkeeping, a plain value so its rules are tested without servers.
///
/// Writers give each key strictly increasing versions, one write at a time per key, some
/// through the proxy and some straight to the table store. A read through the proxy that
/// started after a write was acknowledged must see that version or a later one:
/// - a proxy-acknowledged write must never be missed (the proxy invalidates before it answers);
/// - a direct write may be missed only until the change stream has carried it to the proxy:
///   a read that misses a direct write acknowledged more than `bound` before it started counts
///   against the bound.
public struct CoherenceLedger: Sendable {
    struct Ack: Sendable {
        var version: Int
        var nanos: UInt64
    }

    public struct Read: Sendable {
        public var key: Int
        public var startNanos: UInt64
        /// The version the read saw (0: the initial item; -1: no item, which is always stale).
        public var version: Int

        public init(key: Int, startNanos: UInt64, version: Int) {
            self.key = key
            self.startNanos = startNanos
            self.version = version
        }
    }

    public struct Verdict: Sendable, Codable, Equatable {
        public var reads = 0
        public var proxyWrites = 0
        public var directWrites = 0
        /// Reads that missed a write the proxy had acknowledged before the read began (must be 0).
        public var missedProxyWrites = 0
        /// Reads that missed a direct write acknowledged more than the bound before (must be 0).
        public var missedDirectWritesBeyondBound = 0
        /// Reads that missed a direct write younger than the bound: the stream's lag, allowed.
        public var missedDirectWritesWithinBound = 0
        /// The oldest missed write's age at read time, over all reads, in milliseconds.
        public var maxStalenessMs = 0.0
        public var boundMs = 0.0
        /// Writes with no answer or an error (their outcome is unknown, so they are left out) and
        /// failed reads.
        public var writeErrors = 0
        public var readErrors = 0

        /// Both targets met.
        public var passed: Bool { missedProxyWrites == 0 && missedDirectWritesBeyondBound == 0 }
    }

    var proxyAcks: [[Ack]]
    var allAcks: [[Ack]]
    var reads: [Read] = []

    public init(keys: Int) {
        proxyAcks = Array(repeating: [], count: keys)
        allAcks = Array(repeating: [], count: keys)
    }

    /// A write the table store (or the proxy) acknowledged at `nanos`; per key in version order.
    public mutating func acknowledged(key: Int, version: Int, nanos: UInt64, viaProxy: Bool) {
        if viaProxy { proxyAcks[key].append(Ack(version: version, nanos: nanos)) }
        allAcks[key].append(Ack(version: version, nanos: nanos))
    }

    public mutating func read(_ r: Read) { reads.append(r) }

    /// The newest ack strictly before `nanos`, by binary search (acks are in time order).
    static func newest(_ acks: [Ack], before nanos: UInt64) -> Ack? {
        var low = 0
        var high = acks.count
        while low < high {
            let mid = (low + high) / 2
            if acks[mid].nanos < nanos { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : acks[low - 1]
    }

    public func verdict(boundNanos: UInt64) -> Verdict {
        var v = Verdict()
        v.reads = reads.count
        v.boundMs = Double(boundNanos) / 1e6
        for acks in proxyAcks { v.proxyWrites += acks.count }
        v.directWrites = allAcks.reduce(0) { $0 + $1.count } - v.proxyWrites
        for r in reads {
            let all = allAcks[r.key]
            guard let newest = Self.newest(all, before: r.startNanos), r.version < newest.version else { continue }
            // The oldest write the read missed: the first acknowledged version above what it saw.
            if let missed = all.first(where: { $0.version > r.version && $0.nanos < r.startNanos }) {
                v.maxStalenessMs = max(v.maxStalenessMs, Double(r.startNanos - missed.nanos) / 1e6)
            }
            if let p = Self.newest(proxyAcks[r.key], before: r.startNanos), r.version < p.version {
                v.missedProxyWrites += 1
            } else if r.startNanos > boundNanos,
                let old = Self.newest(all, before: r.startNanos - boundNanos), r.version < old.version
            {
                v.missedDirectWritesBeyondBound += 1
            } else {
                v.missedDirectWritesWithinBound += 1
            }
        }
        return v
    }
}
