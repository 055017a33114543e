import DynamoModel

extension L1Tier {
    /// `/stats`' `l1` member: what the tier holds and how often it answered.
    public var statsJSON: JSONValue {
        let (usable, entries, bytes, evictions, c) = state.withLockedValue { state in
            (state.usable, state.store.count, state.store.usedBytes, state.store.evictions, state.counters)
        }
        let numbers: [String: Int] = [
            "entries": entries, "bytes": bytes, "maxBytes": configuration.maxBytes,
            "ttlMs": Int(configuration.ttlMilliseconds), "hits": c.hits, "inserts": c.inserts,
            "refusedInserts": c.refusedInserts, "evictions": evictions, "flushes": c.flushes, "messages": c.messages,
        ]
        var members: [String: JSONValue] = numbers.mapValues { .number(String($0)) }
        members["usable"] = .bool(usable)
        return .object(members)
    }
}
