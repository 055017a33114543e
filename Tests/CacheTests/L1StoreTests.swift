import Testing

@testable import Cache

struct L1StoreTests {
    @discardableResult
    func put(
        _ store: inout L1Store, _ key: L1Store.Key, _ table: String, _ registry: [UInt8]?, _ envelope: CacheEnvelope,
        _ now: Int64, _ generation: UInt64
    ) -> Bool {
        store.insert(key, table: table, registry: registry, envelope: envelope, now: now, readGeneration: generation)
    }

    func get(_ store: inout L1Store, _ key: L1Store.Key, _ notBefore: Int64) -> Bool {
        store.lookup(key, notBefore: notBefore) != nil
    }

    static func key(_ group: String, _ field: String = "*") -> L1Store.Key {
        L1Store.Key(group: Array(group.utf8), field: Array(field.utf8))
    }

    static func envelope(_ size: Int) -> CacheEnvelope {
        CacheEnvelope(storedAtMilliseconds: 0, present: true, body: [UInt8](repeating: 65, count: size))
    }

    @Test func evictsTheLeastRecentlyUsedToStayInsideTheBound() {
        let entryBytes = 100 + 1 + 1 + L1Store.overhead
        var store = L1Store(maxBytes: entryBytes * 8)
        for i in 0..<8 {
            #expect(put(&store, Self.key("\(i)"), "T", nil, Self.envelope(100), 0, 0))
        }
        #expect(store.count == 8 && store.usedBytes == entryBytes * 8)
        #expect(get(&store, Self.key("0"), 0))  // 0 is now the most recent
        put(&store, Self.key("8"), "T", nil, Self.envelope(100), 0, 0)
        #expect(!get(&store, Self.key("1"), 0))  // the least recent went
        #expect(get(&store, Self.key("0"), 0))
        #expect(store.evictions == 1 && store.usedBytes <= entryBytes * 8)
        // an entry larger than an eighth of the bound is never admitted
        #expect(!put(&store, Self.key("big"), "T", nil, Self.envelope(entryBytes * 2), 0, 0))
    }

    @Test func entriesOlderThanTheTTLAreDropped() {
        var store = L1Store(maxBytes: 1 << 20)
        put(&store, Self.key("a"), "T", nil, Self.envelope(1), 100, 0)
        #expect(get(&store, Self.key("a"), 100))
        #expect(!get(&store, Self.key("a"), 101))
        #expect(store.count == 0 && store.usedBytes == 0)
    }

    @Test func aReadThatStartedBeforeAnInvalidationIsNotStored() {
        var store = L1Store(maxBytes: 1 << 20)
        let before = store.generation
        store.invalidate(groups: [Array("a".utf8)], registries: [])
        #expect(!put(&store, Self.key("a"), "T", nil, Self.envelope(1), 0, before))
        // other groups are unaffected; a read started after it is stored
        #expect(put(&store, Self.key("b"), "T", nil, Self.envelope(1), 0, before))
        #expect(put(&store, Self.key("a"), "T", nil, Self.envelope(1), 0, store.generation))
        // a registry drop refuses late inserts of any of its groups, and drops what it lists
        let reg: [UInt8] = Array("x".utf8)
        put(&store, Self.key("g1", "f1"), "T", reg, Self.envelope(1), 0, store.generation)
        put(&store, Self.key("g1", "f2"), "T", reg, Self.envelope(1), 0, store.generation)
        let started = store.generation
        store.invalidate(groups: [], registries: [reg])
        #expect(!get(&store, Self.key("g1", "f1"), 0) && !get(&store, Self.key("g1", "f2"), 0))
        #expect(!put(&store, Self.key("g2"), "T", reg, Self.envelope(1), 0, started))
        #expect(get(&store, Self.key("a"), 0))
        // a table drop and a flush
        store.invalidate(table: "T")
        #expect(store.count == 0)
        put(&store, Self.key("c"), "U", nil, Self.envelope(1), 0, store.generation)
        let beforeFlush = store.generation
        store.flush()
        #expect(store.count == 0 && store.usedBytes == 0)
        #expect(!put(&store, Self.key("d"), "U", nil, Self.envelope(1), 0, beforeFlush))
    }

    @Test func messagesRoundTrip() {
        let tier = L1Tier(configuration: .init(maxBytes: 1 << 20, ttlMilliseconds: 1_000), usable: true)
        let key = CacheEntryKey(
            namespace: "ns", table: "T", redisKey: Array("dc:ns:q:T:g:00".utf8), field: Array("Q".utf8),
            globalIndex: "g", operation: "Query")
        var policy = CachePolicy()
        policy.staleTime = 10_000
        let entry = CacheEnvelope(storedAtMilliseconds: 1_000, present: true, body: Array("{}".utf8))
        tier.insert(key, envelope: entry, now: 1_000, readGeneration: tier.generation())
        #expect(tier.lookup(key, policy: policy, now: 1_500) == entry)
        #expect(tier.lookup(key, policy: policy, now: 2_500) == nil)  // past the tier's TTL
        tier.insert(key, envelope: entry, now: 2_500, readGeneration: tier.generation())
        tier.receive(L1Tier.message(groups: [], registries: [key.registry!]))
        #expect(tier.lookup(key, policy: policy, now: 2_600) == nil)
        tier.insert(key, envelope: entry, now: 2_600, readGeneration: tier.generation())
        tier.subscriptionChanged(subscribed: false)
        tier.insert(key, envelope: entry, now: 2_600, readGeneration: tier.generation())
        #expect(tier.lookup(key, policy: policy, now: 2_600) == nil && tier.entries == 0)
    }
}
