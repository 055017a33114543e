import DynamoModel

/// One table's queued writes as a plain value: FIFO entries (a coalesced entry gathers the
/// clients whose writes it replaced), the keys busy in flight, and the barriers of writes that
/// pass through one by one.
///
/// Order per key is the rule: an entry is batched only when no earlier entry or barrier of its
/// key is still waiting and its key is not in flight; a barrier runs only when nothing earlier of
/// its keys is queued or in flight. Sequence numbers come from the caller, shared by all tables,
/// so a write spanning tables waits only for what came before it.
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
    private var busy: [CanonicalBytes: Int] = [:]

    var isIdle: Bool { entries.isEmpty && barriers.isEmpty && busy.isEmpty }

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
            if busy[key] == nil && !blocked.contains(key) && !barred(entry) { count += 1 }
            blocked.insert(key)
        }
        return count
    }

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
            if taken.count < maxItems, busy[key] == nil, !blocked.contains(key), !barred(entry),
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

    mutating func release(_ keys: [CanonicalBytes]) {
        for key in keys {
            if let n = busy[key] { busy[key] = n > 1 ? n - 1 : nil }
        }
    }

    mutating func register(_ barrier: Barrier) { barriers.append(barrier) }

    /// Barriers whose keys are free of earlier writes: removed from the queue, their keys busy.
    mutating func runnableBarriers() -> [UInt64] {
        var runnable: [UInt64] = []
        var kept: [Barrier] = []
        var held = Set<CanonicalBytes>()
        for barrier in barriers {
            let earlier = entries.contains {
                $0.sequence < barrier.sequence && barrier.keys.contains($0.write.canonicalKey)
            }
            if !earlier, barrier.keys.allSatisfy({ busy[$0] == nil && !held.contains($0) }) {
                runnable.append(barrier.sequence)
                for key in barrier.keys { busy[key, default: 0] += 1 }
            } else {
                kept.append(barrier)
            }
            held.formUnion(barrier.keys)
        }
        barriers = kept
        return runnable
    }
}
