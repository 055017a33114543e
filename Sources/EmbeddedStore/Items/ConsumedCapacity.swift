import DynamoModel

/// Capacity units as DynamoDB charges them: a read unit per 4 KB read strongly consistently
/// (half for eventually consistent), a write unit per 1 KB written (the larger of the old and
/// new item), at least one unit per item touched, twice for transactions.
enum CapacityUnits {
    static func read(bytes: Int, consistent: Bool) -> Double {
        let units = Double(max(1, (bytes + 4095) / 4096))
        return consistent ? units : units / 2
    }

    static func write(bytes: Int) -> Double {
        Double(max(1, (bytes + 1023) / 1024))
    }

    /// `ReturnConsumedCapacity`: NONE (nil), TOTAL or INDEXES.
    static func requested(_ request: JSONValue) throws(DynamoError) -> String? {
        switch request["ReturnConsumedCapacity"] {
        case nil, .null?, .string("NONE")?: return nil
        case .string("TOTAL")?: return "TOTAL"
        case .string("INDEXES")?: return "INDEXES"
        default:
            throw DynamoError.validation(
                "1 validation error detected: Value at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
            )
        }
    }

    /// One table's `ConsumedCapacity`; with INDEXES, the table's own share too (no secondary
    /// indexes yet, so all of it).
    static func json(table: String, units: Double, mode: String) -> JSONValue {
        var out: [String: JSONValue] = ["TableName": .string(table), "CapacityUnits": number(units)]
        if mode == "INDEXES" { out["Table"] = .object(["CapacityUnits": number(units)]) }
        return .object(out)
    }

    /// The per-table list that batch and transaction operations answer with.
    static func list(_ units: [String: Double], mode: String?) -> JSONValue? {
        mode.map { mode in .array(units.keys.sorted().map { json(table: $0, units: units[$0]!, mode: mode) }) }
    }

    static func number(_ value: Double) -> JSONValue {
        let tenths = Int((value * 10).rounded())
        return .number("\(tenths / 10).\(tenths % 10)")
    }
}

extension JSONValue {
    /// Adds `ConsumedCapacity` to an object answer when asked for.
    func withCapacity(_ capacity: JSONValue?) -> JSONValue {
        guard let capacity, case .object(var members) = self else { return self }
        members["ConsumedCapacity"] = capacity
        return .object(members)
    }
}
