/// One cached answer: when it was stored, whether the item was there, and the table store's
/// response body, kept as bytes so a hit never re-serializes JSON.
///
/// Layout: `1` (version), 8 bytes stored-at (ms, big-endian), `p` or `a` (present/absent), body.
public struct CacheEnvelope: Sendable, Equatable {
    public var storedAtMilliseconds: Int64
    public var present: Bool
    public var body: [UInt8]

    public init(storedAtMilliseconds: Int64, present: Bool, body: [UInt8]) {
        self.storedAtMilliseconds = storedAtMilliseconds
        self.present = present
        self.body = body
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = [1]
        out.reserveCapacity(body.count + 10)
        let t = UInt64(bitPattern: storedAtMilliseconds)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: t >> UInt64(shift))) }
        out.append(present ? UInt8(ascii: "p") : UInt8(ascii: "a"))
        out.append(contentsOf: body)
        return out
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count >= 10, bytes[0] == 1 else { return nil }
        var t: UInt64 = 0
        for i in 1...8 { t = t << 8 | UInt64(bytes[i]) }
        guard bytes[9] == UInt8(ascii: "p") || bytes[9] == UInt8(ascii: "a") else { return nil }
        self.storedAtMilliseconds = Int64(bitPattern: t)
        self.present = bytes[9] == UInt8(ascii: "p")
        self.body = Array(bytes[10...])
    }
}
