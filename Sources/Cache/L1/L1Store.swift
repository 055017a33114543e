/// The in-process tier's bookkeeping as a plain value (no locks, no clock): a least-recently-used
/// map bounded in bytes, with the generation rule that keeps an invalidation from being undone
/// by a read that started before it.
///
/// Every invalidation (of a group, a registry's groups, a table, or everything) bumps the
/// generation and remembers it for what it dropped; an insert carries the generation at which
/// its read began and is refused if anything it belongs to was invalidated since.
struct L1Store {
    struct Key: Hashable {
        var group: [UInt8]
        var field: [UInt8]
    }

    struct Entry {
        var key: Key
        var table: String
        var registry: [UInt8]?
        var envelope: CacheEnvelope
        var insertedAt: Int64
        var bytes: Int
        var newer = -1
        var older = -1
    }

    let maxBytes: Int
    private(set) var usedBytes = 0
    private(set) var generation: UInt64 = 0
    private(set) var evictions = 0

    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    private var slotOf: [Key: Int] = [:]
    private var newest = -1
    private var oldest = -1
    /// Fields cached per group, and groups cached per registry, so a drop touches only them.
    private var fieldsOf: [[UInt8]: Set<[UInt8]>] = [:]
    private var groupsOf: [[UInt8]: Set<[UInt8]>] = [:]
    private var invalidatedAt: [[UInt8]: UInt64] = [:]
    private var tableInvalidatedAt: [String: UInt64] = [:]
    /// Inserts whose read began before this are refused (a flush, or a forgotten history).
    private var floor: UInt64 = 0

    /// Bookkeeping per entry on top of its bytes (keys, node, dictionary slots), roughly.
    static let overhead = 160

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    var count: Int { slotOf.count }

    /// The entry, marked most recently used; nil if absent or inserted before `notBefore`.
    mutating func lookup(_ key: Key, notBefore: Int64) -> Entry? {
        guard let slot = slotOf[key], let entry = slots[slot] else { return nil }
        if entry.insertedAt < notBefore {
            remove(slot)
            return nil
        }
        moveToNewest(slot)
        return entry
    }

    /// Stores an entry read at `readGeneration`; false when an invalidation came after that
    /// read began, or the entry alone would take more than an eighth of the bound.
    @discardableResult
    mutating func insert(
        _ key: Key, table: String, registry: [UInt8]?, envelope: CacheEnvelope, now: Int64,
        readGeneration: UInt64
    ) -> Bool {
        let bytes = envelope.body.count + key.group.count + key.field.count + Self.overhead
        guard bytes <= maxBytes / 8, readGeneration >= floor,
            readGeneration >= invalidatedAt[key.group] ?? 0,
            readGeneration >= registry.flatMap({ invalidatedAt[$0] }) ?? 0,
            readGeneration >= tableInvalidatedAt[table] ?? 0
        else { return false }
        if let slot = slotOf[key] { remove(slot) }
        while usedBytes + bytes > maxBytes, oldest >= 0 {
            remove(oldest)
            evictions += 1
        }
        let entry = Entry(
            key: key, table: table, registry: registry, envelope: envelope, insertedAt: now, bytes: bytes)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        slotOf[key] = slot
        fieldsOf[key.group, default: []].insert(key.field)
        if let registry { groupsOf[registry, default: []].insert(key.group) }
        usedBytes += bytes
        link(slot)
        return true
    }

    /// Drops every variant of these groups and every group of these registries.
    mutating func invalidate(groups: [[UInt8]], registries: [[UInt8]]) {
        generation += 1
        for registry in registries {
            invalidatedAt[registry] = generation
            for group in groupsOf.removeValue(forKey: registry) ?? [] { drop(group: group) }
        }
        for group in groups {
            invalidatedAt[group] = generation
            drop(group: group)
        }
        if invalidatedAt.count > 100_000 {
            invalidatedAt.removeAll()
            floor = generation
        }
    }

    mutating func invalidate(table: String) {
        generation += 1
        tableInvalidatedAt[table] = generation
        for slot in slots.indices where slots[slot]?.table == table { remove(slot) }
    }

    mutating func flush() {
        generation += 1
        floor = generation
        invalidatedAt.removeAll()
        tableInvalidatedAt.removeAll()
        slots.removeAll()
        freeSlots.removeAll()
        slotOf.removeAll()
        fieldsOf.removeAll()
        groupsOf.removeAll()
        newest = -1
        oldest = -1
        usedBytes = 0
    }

    private mutating func drop(group: [UInt8]) {
        for field in fieldsOf[group] ?? [] {
            if let slot = slotOf[Key(group: group, field: field)] { remove(slot) }
        }
    }

    private mutating func remove(_ slot: Int) {
        guard let entry = slots[slot] else { return }
        unlink(slot)
        slots[slot] = nil
        freeSlots.append(slot)
        slotOf[entry.key] = nil
        usedBytes -= entry.bytes
        if var fields = fieldsOf[entry.key.group] {
            fields.remove(entry.key.field)
            fieldsOf[entry.key.group] = fields.isEmpty ? nil : fields
            if fields.isEmpty, let registry = entry.registry, var groups = groupsOf[registry] {
                groups.remove(entry.key.group)
                groupsOf[registry] = groups.isEmpty ? nil : groups
            }
        }
    }

    private mutating func link(_ slot: Int) {
        slots[slot]!.older = newest
        slots[slot]!.newer = -1
        if newest >= 0 { slots[newest]!.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (slots[slot]!.newer, slots[slot]!.older)
        if newer >= 0 { slots[newer]!.older = older } else { newest = older }
        if older >= 0 { slots[older]!.newer = newer } else { oldest = newer }
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        link(slot)
    }
}
