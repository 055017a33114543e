import DynamoModel

/// A secondary index: its own key schema over the base table's items, and which attributes it
/// copies. Items without the index's key attributes are not in it (sparse indexes).
struct IndexDefinition: Sendable {
    enum Kind: String, Sendable {
        case global, local
    }

    var name: String
    var kind: Kind
    var hashKey: KeyAttribute
    var rangeKey: KeyAttribute?
    /// ALL, KEYS_ONLY or INCLUDE.
    var projectionType: String
    var nonKeyAttributes: [String]
    var readCapacityUnits: Int
    var writeCapacityUnits: Int

    var keyNames: [String] { [hashKey.name] + (rangeKey.map { [$0.name] } ?? []) }

    /// What a LastEvaluatedKey from this index holds: the base table's key and the index's.
    func pageKeyNames(_ table: TableDefinition) -> [String] {
        table.keyNames + keyNames.filter { !table.keyNames.contains($0) }
    }

    /// The attributes an index entry keeps: everything, or the base and index keys plus the
    /// INCLUDE list.
    func project(_ item: Item, baseKeys: [String]) -> Item {
        if projectionType == "ALL" { return item }
        var out: Item = [:]
        for name in baseKeys + keyNames + (projectionType == "INCLUDE" ? nonKeyAttributes : []) {
            if let value = item[name] { out[name] = value }
        }
        return out
    }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "kind": .string(kind.rawValue),
            "hash": .array([.string(hashKey.name), .string(hashKey.type)]),
            "projection": .string(projectionType), "include": .array(nonKeyAttributes.map { .string($0) }),
            "rcu": .number(String(readCapacityUnits)), "wcu": .number(String(writeCapacityUnits)),
        ]
        if let rangeKey { o["range"] = .array([.string(rangeKey.name), .string(rangeKey.type)]) }
        return .object(o)
    }

    init(
        name: String,
        kind: Kind,
        hashKey: KeyAttribute,
        rangeKey: KeyAttribute?,
        projectionType: String,
        nonKeyAttributes: [String],
        readCapacityUnits: Int,
        writeCapacityUnits: Int
    ) {
        self.name = name
        self.kind = kind
        self.hashKey = hashKey
        self.rangeKey = rangeKey
        self.projectionType = projectionType
        self.nonKeyAttributes = nonKeyAttributes
        self.readCapacityUnits = readCapacityUnits
        self.writeCapacityUnits = writeCapacityUnits
    }

    init?(json: JSONValue) {
        func pair(_ v: JSONValue?) -> KeyAttribute? {
            guard let a = v?.arrayValue, a.count == 2, let n = a[0].stringValue, let t = a[1].stringValue else {
                return nil
            }
            return KeyAttribute(name: n, type: t)
        }
        guard let name = json["name"]?.stringValue, let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let hash = pair(json["hash"])
        else { return nil }
        self.init(
            name: name,
            kind: kind,
            hashKey: hash,
            rangeKey: pair(json["range"]),
            projectionType: json["projection"]?.stringValue ?? "ALL",
            nonKeyAttributes: json["include"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            readCapacityUnits: json["rcu"]?.intValue ?? 0,
            writeCapacityUnits: json["wcu"]?.intValue ?? 0
        )
    }

    /// DescribeTable's entry for this index.
    func description(table: TableDefinition, itemCount: Int, sizeBytes: Int) -> JSONValue {
        var keySchema: [JSONValue] = [.object(["AttributeName": .string(hashKey.name), "KeyType": .string("HASH")])]
        if let rangeKey {
            keySchema.append(.object(["AttributeName": .string(rangeKey.name), "KeyType": .string("RANGE")]))
        }
        var projection: [String: JSONValue] = ["ProjectionType": .string(projectionType)]
        if projectionType == "INCLUDE" { projection["NonKeyAttributes"] = .array(nonKeyAttributes.map { .string($0) }) }
        var out: [String: JSONValue] = [
            "IndexName": .string(name),
            "KeySchema": .array(keySchema),
            "Projection": .object(projection),
            "IndexSizeBytes": .number(String(sizeBytes)),
            "ItemCount": .number(String(itemCount)),
            "IndexArn": .string("\(table.arn)/index/\(name)"),
        ]
        if kind == .global {
            out["IndexStatus"] = .string("ACTIVE")
            out["ProvisionedThroughput"] = .object([
                "NumberOfDecreasesToday": .number("0"),
                "ReadCapacityUnits": .number(String(readCapacityUnits)),
                "WriteCapacityUnits": .number(String(writeCapacityUnits)),
            ])
        }
        return .object(out)
    }
}
