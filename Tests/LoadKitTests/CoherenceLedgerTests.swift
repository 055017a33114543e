import Testing

@testable import LoadKit

@Suite struct CoherenceLedgerTests {
    let ms: UInt64 = 1_000_000
    let bound: UInt64 = 1_000 * 1_000_000

    @Test func aReadThatMissesAProxyAcknowledgedWriteIsCounted() {
        var ledger = CoherenceLedger(keys: 2)
        ledger.acknowledged(key: 0, version: 1, nanos: 10 * ms, viaProxy: true)
        ledger.read(.init(key: 0, startNanos: 11 * ms, version: 0))  // missed: acked before the read
        ledger.read(.init(key: 0, startNanos: 9 * ms, version: 0))  // began before the ack: fine
        ledger.read(.init(key: 0, startNanos: 12 * ms, version: 1))
        ledger.read(.init(key: 1, startNanos: 12 * ms, version: 0))  // nothing written to key 1
        let v = ledger.verdict(boundNanos: bound)
        #expect(v.reads == 4 && v.proxyWrites == 1 && v.directWrites == 0)
        #expect(v.missedProxyWrites == 1)
        #expect(v.missedDirectWritesBeyondBound == 0 && v.missedDirectWritesWithinBound == 0)
        #expect(!v.passed)
        #expect(v.maxStalenessMs == 1)
    }

    @Test func directWritesMayBeMissedOnlyWithinTheBound() {
        var ledger = CoherenceLedger(keys: 1)
        let t0 = 5_000 * ms
        ledger.acknowledged(key: 0, version: 1, nanos: t0, viaProxy: false)
        ledger.read(.init(key: 0, startNanos: t0 + 300 * ms, version: 0))  // stream lag: allowed
        ledger.read(.init(key: 0, startNanos: t0 + 1_500 * ms, version: 0))  // past the bound
        ledger.read(.init(key: 0, startNanos: t0 + 1_600 * ms, version: 1))
        let v = ledger.verdict(boundNanos: bound)
        #expect(v.directWrites == 1)
        #expect(v.missedDirectWritesWithinBound == 1)
        #expect(v.missedDirectWritesBeyondBound == 1)
        #expect(v.missedProxyWrites == 0)
        #expect(v.maxStalenessMs == 1_500)
        #expect(!v.passed)
    }

    @Test func aNewerVersionThanTheLastAckIsFineAndAMissingItemIsStale() {
        var ledger = CoherenceLedger(keys: 1)
        ledger.acknowledged(key: 0, version: 1, nanos: 10 * ms, viaProxy: false)
        ledger.acknowledged(key: 0, version: 2, nanos: 20 * ms, viaProxy: true)
        ledger.acknowledged(key: 0, version: 3, nanos: 30 * ms, viaProxy: false)
        // Saw 4 (a write still in flight): newer than any ack.
        ledger.read(.init(key: 0, startNanos: 31 * ms, version: 4))
        // Saw 2 after 3 was acked directly 1 ms before: within the bound, not a proxy miss.
        ledger.read(.init(key: 0, startNanos: 31 * ms, version: 2))
        // Saw no item at all after the proxy acked version 2.
        ledger.read(.init(key: 0, startNanos: 25 * ms, version: -1))
        let v = ledger.verdict(boundNanos: bound)
        #expect(v.missedProxyWrites == 1)
        #expect(v.missedDirectWritesWithinBound == 1)
        #expect(v.missedDirectWritesBeyondBound == 0)
    }
}
