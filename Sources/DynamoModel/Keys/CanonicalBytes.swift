/// Canonical bytes of attribute values and keys: the same value gives the same bytes however the
/// client spelled it — member order in JSON, `1` vs `1.0` vs `1E0` vs `01`, set element order.
///
/// The cache names entries by these bytes and the change-stream consumer finds them from a stream
/// record's keys, so the two must agree on every spelling. Scalars of a key (S, N, B) encode so
/// that unsigned byte order is DynamoDB's sort order (UTF-8 bytes, numeric, unsigned bytes).
public struct CanonicalBytes: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes of a whole key (or any item): attributes sorted by name, each name then value.
    public init(key: Item) {
        var out: [UInt8] = [UInt8(ascii: "K")]
        appendVarint(UInt64(key.count), to: &out)
        for name in key.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let nameBytes = Array(name.utf8)
            appendVarint(UInt64(nameBytes.count), to: &out)
            out.append(contentsOf: nameBytes)
            CanonicalBytes.append(key[name]!, to: &out)
        }
        self.bytes = out
    }

    /// Bytes of one value, tagged with its type.
    public init(value: AttributeValue) {
        var out: [UInt8] = []
        CanonicalBytes.append(value, to: &out)
        self.bytes = out
    }

    /// Bytes of a key scalar whose order matches DynamoDB's order for that type; no type tag,
    /// since a key attribute has one declared type.
    public static func sortable(_ value: AttributeValue) -> [UInt8]? {
        switch value {
        case .s(let s): Array(s.utf8)
        case .n(let n): n.orderedBytes
        case .b(let b): b
        default: nil
        }
    }

    static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        switch value {
        case .s(let s):
            out.append(UInt8(ascii: "s"))
            appendBlob(Array(s.utf8), to: &out)
        case .n(let n):
            out.append(UInt8(ascii: "n"))
            appendBlob(n.orderedBytes, to: &out)
        case .b(let b):
            out.append(UInt8(ascii: "b"))
            appendBlob(b, to: &out)
        case .bool(let b):
            out.append(b ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .null:
            out.append(UInt8(ascii: "z"))
        case .m(let m):
            out.append(UInt8(ascii: "m"))
            appendVarint(UInt64(m.count), to: &out)
            for name in m.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                appendBlob(Array(name.utf8), to: &out)
                append(m[name]!, to: &out)
            }
        case .l(let l):
            out.append(UInt8(ascii: "l"))
            appendVarint(UInt64(l.count), to: &out)
            for element in l { append(element, to: &out) }
        case .ss(let ss):
            appendSet(tag: "S", ss.map { Array($0.utf8) }, to: &out)
        case .ns(let ns):
            appendSet(tag: "N", ns.map(\.orderedBytes), to: &out)
        case .bs(let bs):
            appendSet(tag: "B", bs, to: &out)
        }
    }

    static func appendSet(tag: Unicode.Scalar, _ elements: [[UInt8]], to out: inout [UInt8]) {
        out.append(UInt8(ascii: tag))
        let sorted = Set(elements).sorted { $0.lexicographicallyPrecedes($1) }
        appendVarint(UInt64(sorted.count), to: &out)
        for element in sorted { appendBlob(element, to: &out) }
    }

    static func appendBlob(_ blob: [UInt8], to out: inout [UInt8]) {
        appendVarint(UInt64(blob.count), to: &out)
        out.append(contentsOf: blob)
    }
}

/// LEB128, so lengths cost one byte for the common short strings.
func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(v & 0x7F) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

extension CanonicalBytes: CustomStringConvertible {
    /// Lower-case hex, for logs and for Redis key names.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
