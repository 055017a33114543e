import DynamoModel

/// The GetItem misses of one table waiting to go out together, as a plain value: who waits for
/// which key, with duplicates sharing one slot (BatchGetItem refuses a key listed twice).
struct MissBatch<Waiter: Sendable>: Sendable {
    struct Slot {
        var key: Item
        var waiters: [Waiter]
    }

    private(set) var slots: [Slot] = []
    private var index: [CanonicalBytes: Int] = [:]

    /// Adds a waiter; true when this made the batch full.
    mutating func add(key: Item, waiter: Waiter, limit: Int) -> Bool {
        let canonical = CanonicalBytes(key: key)
        if let slot = index[canonical] {
            slots[slot].waiters.append(waiter)
        } else {
            index[canonical] = slots.count
            slots.append(Slot(key: key, waiters: [waiter]))
        }
        return slots.count >= limit
    }

    var isEmpty: Bool { slots.isEmpty }

    /// Items of a BatchGetItem answer, matched to the slots' keys (by the key's own attributes).
    static func match(_ items: [JSONValue], to slots: [Slot]) -> [CanonicalBytes: JSONValue] {
        guard let names = slots.first.map({ Array($0.key.keys) }) else { return [:] }
        var found: [CanonicalBytes: JSONValue] = [:]
        for json in items {
            guard let item = try? Item.fromJSON(json, parameter: "Item") else { continue }
            var key: Item = [:]
            for name in names { key[name] = item[name] }
            if key.count == names.count { found[CanonicalBytes(key: key)] = json }
        }
        return found
    }
}
