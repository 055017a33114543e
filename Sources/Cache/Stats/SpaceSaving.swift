/// The most requested keys, approximately, in bounded memory: the space-saving sketch
/// (Metwally, Agrawal, El Abbadi). `capacity` counters follow the heaviest keys; a new key takes
/// over the smallest counter and inherits its count as its possible overcount (`error`), so any
/// key requested more than total/capacity times is always among them. Each counter also counts
/// the requests answered from the cache since it took the key, for a per-key hit ratio.
struct SpaceSaving: Sendable {
    struct Counter: Sendable, Equatable {
        var key: String
        var count: Int
        var error: Int
        var hits: Int
        var requests: Int
    }

    let capacity: Int
    private(set) var counters: [String: Counter] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func observe(_ key: String, hit: Bool) {
        if var counter = counters[key] {
            counter.count += 1
            counter.requests += 1
            if hit { counter.hits += 1 }
            counters[key] = counter
            return
        }
        if counters.count < capacity {
            counters[key] = Counter(key: key, count: 1, error: 0, hits: hit ? 1 : 0, requests: 1)
            return
        }
        // O(capacity) to find the smallest: capacity is small (tens), and this runs only for keys
        // not already followed.
        let smallest = counters.values.min { $0.count < $1.count }!
        counters[smallest.key] = nil
        counters[key] = Counter(
            key: key, count: smallest.count + 1, error: smallest.count, hits: hit ? 1 : 0, requests: 1)
    }

    func top(_ n: Int) -> [Counter] {
        Array(counters.values.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }.prefix(n))
    }
}
