/// DynamoDB's item size: attribute names plus values, as its documentation counts them
/// (strings and binaries by length, numbers by about one byte per two digits plus one, three
/// bytes of overhead per map or list plus one per element). Used for the 400 KB item limit and
/// the 1 MB page limit.
public enum ItemSize {
    public static let maximumItemBytes = 400 * 1024

    public static func of(_ item: Item) -> Int {
        item.reduce(0) { $0 + $1.key.utf8.count + of($1.value) }
    }

    public static func of(_ value: AttributeValue) -> Int {
        switch value {
        case .s(let s): return s.utf8.count
        case .n(let n): return number(n)
        case .b(let b): return b.count
        case .bool, .null: return 1
        case .m(let m): return 3 + m.reduce(0) { $0 + $1.key.utf8.count + of($1.value) + 1 }
        case .l(let l): return 3 + l.reduce(0) { $0 + of($1) + 1 }
        case .ss(let ss): return ss.reduce(0) { $0 + $1.utf8.count }
        case .ns(let ns): return ns.reduce(0) { $0 + number($1) }
        case .bs(let bs): return bs.reduce(0) { $0 + $1.count }
        }
    }

    public static func number(_ n: DynamoNumber) -> Int {
        (n.digits.count + 1) / 2 + 1
    }
}
