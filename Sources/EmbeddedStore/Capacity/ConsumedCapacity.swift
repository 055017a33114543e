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

    /// One table's `ConsumedCapacity`: the total, and with INDEXES the table's own share and
    /// each index's (`indexes`: index name → (global?, units)).
    static func json(table: String, units: Double, mode: String, indexes: [String: (global: Bool, units: Double)] = [:])
        -> JSONValue
    {
        let total = units + indexes.values.reduce(0) { $0 + $1.units }
        var out: [String: JSONValue] = ["TableName": .string(table), "CapacityUnits": number(total)]
        if mode == "INDEXES" {
            out["Table"] = .object(["CapacityUnits": number(units)])
            for (member, global) in [("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false)] {
                let chosen = indexes.filter { $0.value.global == global }
                if !chosen.isEmpty {
                    out[member] = .object(chosen.mapValues { .object(["CapacityUnits": number($0.units)]) })
                }
            }
        }
        return .object(out)
    }

    /// What a write costs each secondary index: an entry written (1 KB units of the projected
    /// item), removed, or both when the item moves between index partitions.
    static func indexWrites(_ table: TableDefinition, old: Item?, new: Item?) -> [String: (global: Bool, units: Double)]
    {
        var out: [String: (global: Bool, units: Double)] = [:]
        for index in table.indexes {
            func entry(_ item: Item?) -> Item? {
                guard let item,
                    index.keyNames.allSatisfy({ name in
                        item[name].map {
                            $0.typeDescriptor
                                == (name == index.hashKey.name ? index.hashKey.type : index.rangeKey?.type)
                        } ?? false
                    })
                else { return nil }
                return index.project(item, baseKeys: table.keyNames)
            }
            let before = entry(old)
            let after = entry(new)
            var units = 0.0
            switch (before, after) {
            case (nil, nil): continue
            case (let b?, nil): units = write(bytes: ItemSize.of(b))
            case (nil, let a?): units = write(bytes: ItemSize.of(a))
            case (let b?, let a?):
                let moved = index.keyNames.contains { old?[$0] != new?[$0] }
                units =
                    moved
                    ? write(bytes: ItemSize.of(b)) + write(bytes: ItemSize.of(a))
                    : write(bytes: max(ItemSize.of(a), ItemSize.of(b)))
            }
            out[index.name] = (index.kind == .global, units)
        }
        return out
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
