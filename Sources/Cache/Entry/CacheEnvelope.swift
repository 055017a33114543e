/// One cached answer: when it was stored, whether the item was there, the generations of its
/// table (and index) it was filled under, and the table store's response body, kept as bytes so
/// a hit never re-serializes JSON.
///
/// Layout: `2` (version), 8 bytes stored-at (ms, big-endian), `p` or `a` (present/absent),
/// 2 bytes stamp length (big-endian), the stamp, body. An entry is served only while its stamp
/// equals the current generations (`GenerationStamp`): a whole-table or whole-index
/// invalidation changes them, and every entry filled before is dead at once.
public struct CacheEnvelope: Sendable, Equatable {
    public var storedAtMilliseconds: Int64
    public var present: Bool
    public var stamp: [UInt8]
    public var body: [UInt8]

    public init(storedAtMilliseconds: Int64, present: Bool, stamp: [UInt8] = [], body: [UInt8]) {
        self.storedAtMilliseconds = storedAtMilliseconds
        self.present = present
        self.stamp = stamp
        self.body = body
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = [2]
        out.reserveCapacity(body.count + stamp.count + 12)
        let t = UInt64(bitPattern: storedAtMilliseconds)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: t >> UInt64(shift))) }
        out.append(present ? UInt8(ascii: "p") : UInt8(ascii: "a"))
        let length = min(stamp.count, 0xFFFF)
        out.append(UInt8(length >> 8))
        out.append(UInt8(length & 0xFF))
        out.append(contentsOf: stamp.prefix(length))
        out.append(contentsOf: body)
        return out
    }

    /// Nil for anything else, including the first wave's version-1 entries (no stamp: never served).
    public init?(bytes: [UInt8]) {
        guard bytes.count >= 12, bytes[0] == 2 else { return nil }
        var t: UInt64 = 0
        for i in 1...8 { t = t << 8 | UInt64(bytes[i]) }
        guard bytes[9] == UInt8(ascii: "p") || bytes[9] == UInt8(ascii: "a") else { return nil }
        let length = Int(bytes[10]) << 8 | Int(bytes[11])
        guard bytes.count >= 12 + length else { return nil }
        self.storedAtMilliseconds = Int64(bitPattern: t)
        self.present = bytes[9] == UInt8(ascii: "p")
        self.stamp = Array(bytes[12..<(12 + length)])
        self.body = Array(bytes[(12 + length)...])
    }
}
