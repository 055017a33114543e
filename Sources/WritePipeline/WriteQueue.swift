import DynamoModel

/// One table's queued writes as a plain value: FIFO entries (a coalesced entry gathers the
/// clients whose writes it replaced), the keys busy in flight, and the barriers of writes that
/// pass through one by one.
///
/// Order per key: an entry is batched only when no earlier entry or barrier of its key is still
/// waiting and no pass-through write holds its key; a barrier runs only when nothing earlier of
/// its keys is queued or in flight. Two batches in flight may hold the same key: their writes
/// came from different clients while neither was answered, concurrent writes that DynamoDB
/// orders no more strictly (a client that waits for its answer always comes after). Sequence
/// numbers come from the caller, shared by all tables, so a write spanning tables waits only for
/// what came before it.
struct WriteQueue<Waiter: Sendable>: Sendable {
    struct Entry: Sendable {
        var sequence: UInt64
        var write: PendingWrite
        var waiters: [Waiter]
    }

    struct Barrier: Sendable {
        var sequence: UInt64
        var keys: Set<CanonicalBytes>
    }

    private(set) var entries: [Entry] = []
    private(set) var barriers: [Barrier] = []
    /// Keys in a batch in flight, and keys held by pass-through writes running now.
    private var busy: [CanonicalBytes: Int] = [:]
    private var held: [CanonicalBytes: Int] = [:]

    var isIdle: Bool { entries.isEmpty && barriers.isEmpty && busy.isEmpty && held.isEmpty }

    /// Queues a write; with `coalesce`, folds it into a queued write of the same key (unless a
    /// barrier came between them). Returns whether it was folded.
    mutating func enqueue(_ write: PendingWrite, waiter: Waiter, sequence: UInt64, coalesce: Bool) -> Bool {
        if coalesce, let i = entries.lastIndex(where: { $0.write.canonicalKey == write.canonicalKey }),
            !barriers.contains(where: { $0.sequence > entries[i].sequence && $0.keys.contains(write.canonicalKey) })
        {
            entries[i].write = write
            entries[i].waiters.append(waiter)
            return true
        }
        entries.append(Entry(sequence: sequence, write: write, waiters: [waiter]))
        return false
    }

    /// How many queued entries could go out now (for "flush when full").
    var sendable: Int {
        var blocked = Set<CanonicalBytes>()
        var count = 0
        for entry in entries {
            let key = entry.write.canonicalKey
            if free(key) && !blocked.contains(key) && !barred(entry) { count += 1 }
            blocked.insert(key)
        }
        return count
    }

    private func free(_ key: CanonicalBytes) -> Bool { held[key] == nil }

    private func barred(_ entry: Entry) -> Bool {
        barriers.contains { $0.sequence < entry.sequence && $0.keys.contains(entry.write.canonicalKey) }
    }

    /// Takes the next batch (oldest first, one entry per key, within the limits) and marks its
    /// keys busy until `release`.
    mutating func nextBatch(maxItems: Int, maxBytes: Int) -> [Entry] {
        var taken: [Entry] = []
        var remaining: [Entry] = []
        var blocked = Set<CanonicalBytes>()
        var bytes = 0
        for entry in entries {
            let key = entry.write.canonicalKey
            if taken.count < maxItems, free(key), !blocked.contains(key), !barred(entry),
                bytes + entry.write.sizeBytes <= maxBytes || taken.isEmpty
            {
                taken.append(entry)
                bytes += entry.write.sizeBytes
            } else {
                remaining.append(entry)
            }
            blocked.insert(key)
        }
        entries = remaining
        for entry in taken { busy[entry.write.canonicalKey, default: 0] += 1 }
        return taken
    }

    /// A batch finished: its keys are free again.
    mutating func release(_ keys: [CanonicalBytes]) {
        for key in keys {
            if let n = busy[key] { busy[key] = n > 1 ? n - 1 : nil }
        }
    }

    /// A pass-through write finished.
    mutating func releaseHeld(_ keys: [CanonicalBytes]) {
        for key in keys {
            if let n = held[key] { held[key] = n > 1 ? n - 1 : nil }
        }
    }

    mutating func register(_ barrier: Barrier) { barriers.append(barrier) }

    /// Barriers with no earlier batched write of their keys queued or in flight: removed, their
    /// keys held until `releaseHeld`. Pass-through writes do not wait for each other (concurrent
    /// requests have no order on DynamoDB either); batched writes wait for them.
    mutating func runnableBarriers() -> [UInt64] {
        var runnable: [UInt64] = []
        var kept: [Barrier] = []
        for barrier in barriers {
            let earlier = entries.contains {
                $0.sequence < barrier.sequence && barrier.keys.contains($0.write.canonicalKey)
            }
            if !earlier, barrier.keys.allSatisfy({ busy[$0] == nil }) {
                runnable.append(barrier.sequence)
                for key in barrier.keys { held[key, default: 0] += 1 }
            } else {
                kept.append(barrier)
            }
        }
        barriers = kept
        return runnable
    }
}
