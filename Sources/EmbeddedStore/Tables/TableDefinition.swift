import DynamoModel

/// A key attribute: its name and scalar type (S, N or B).
struct KeyAttribute: Sendable, Equatable {
    var name: String
    var type: String
}

/// What the store knows about a table: its key schema and the settings DescribeTable reports.
/// Persisted as JSON in the `dc_tables` row so a restart finds every table again.
struct TableDefinition: Sendable {
    var name: String
    var hashKey: KeyAttribute
    var rangeKey: KeyAttribute?
    var attributeDefinitions: [KeyAttribute]
    var billingMode: String
    var readCapacityUnits: Int
    var writeCapacityUnits: Int
    var creationTime: Double
    var tableId: String
    var indexes: [IndexDefinition] = []
    /// The latest stream, enabled or not (nil: never had one).
    var stream: TableStream?
    /// The TTL attribute while time to live is enabled.
    var timeToLive: String?

    var arn: String { "arn:aws:dynamodb:us-east-1:000000000000:table/\(name)" }

    var keyNames: [String] { [hashKey.name] + (rangeKey.map { [$0.name] } ?? []) }

    func isKeyAttribute(_ name: String) -> Bool { name == hashKey.name || name == rangeKey?.name }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name),
            "hash": .array([.string(hashKey.name), .string(hashKey.type)]),
            "attributes": .array(attributeDefinitions.map { .array([.string($0.name), .string($0.type)]) }),
            "billingMode": .string(billingMode),
            "rcu": .number(String(readCapacityUnits)),
            "wcu": .number(String(writeCapacityUnits)),
            "created": .string(String(creationTime)),
            "id": .string(tableId),
        ]
        if let rangeKey { o["range"] = .array([.string(rangeKey.name), .string(rangeKey.type)]) }
        if !indexes.isEmpty { o["indexes"] = .array(indexes.map(\.json)) }
        if let stream { o["stream"] = stream.json }
        if let timeToLive { o["ttl"] = .string(timeToLive) }
        return .object(o)
    }

    func index(named name: String) -> IndexDefinition? { indexes.first { $0.name == name } }

    init(
        name: String,
        hashKey: KeyAttribute,
        rangeKey: KeyAttribute?,
        attributeDefinitions: [KeyAttribute],
        billingMode: String,
        readCapacityUnits: Int,
        writeCapacityUnits: Int,
        creationTime: Double,
        tableId: String
    ) {
        self.name = name
        self.hashKey = hashKey
        self.rangeKey = rangeKey
        self.attributeDefinitions = attributeDefinitions
        self.billingMode = billingMode
        self.readCapacityUnits = readCapacityUnits
        self.writeCapacityUnits = writeCapacityUnits
        self.creationTime = creationTime
        self.tableId = tableId
    }

    init?(json: JSONValue) {
        func pair(_ v: JSONValue?) -> KeyAttribute? {
            guard let a = v?.arrayValue, a.count == 2, let n = a[0].stringValue, let t = a[1].stringValue else {
                return nil
            }
            return KeyAttribute(name: n, type: t)
        }
        guard let name = json["name"]?.stringValue, let hash = pair(json["hash"]),
            let attributes = json["attributes"]?.arrayValue
        else { return nil }
        self.name = name
        self.hashKey = hash
        self.rangeKey = pair(json["range"])
        self.attributeDefinitions = attributes.compactMap { pair($0) }
        self.billingMode = json["billingMode"]?.stringValue ?? "PAY_PER_REQUEST"
        self.readCapacityUnits = json["rcu"]?.intValue ?? 0
        self.writeCapacityUnits = json["wcu"]?.intValue ?? 0
        self.creationTime = Double(json["created"]?.stringValue ?? "0") ?? 0
        self.tableId = json["id"]?.stringValue ?? ""
        self.indexes = json["indexes"]?.arrayValue?.compactMap { IndexDefinition(json: $0) } ?? []
        self.stream = TableStream(json: json["stream"])
        self.timeToLive = json["ttl"]?.stringValue
    }

    /// DescribeTable's `Table` member.
    func description(
        status: String,
        itemCount: Int,
        sizeBytes: Int,
        indexStats: [String: (count: Int, size: Int)] = [:]
    ) -> JSONValue {
        var keySchema: [JSONValue] = [.object(["AttributeName": .string(hashKey.name), "KeyType": .string("HASH")])]
        if let rangeKey {
            keySchema.append(.object(["AttributeName": .string(rangeKey.name), "KeyType": .string("RANGE")]))
        }
        var table: [String: JSONValue] = [
            "TableName": .string(name),
            "TableStatus": .string(status),
            "KeySchema": .array(keySchema),
            "AttributeDefinitions": .array(
                attributeDefinitions.map {
                    .object(["AttributeName": .string($0.name), "AttributeType": .string($0.type)])
                }),
            "CreationDateTime": .number(String(format3(creationTime))),
            "ProvisionedThroughput": .object([
                "NumberOfDecreasesToday": .number("0"),
                "ReadCapacityUnits": .number(String(readCapacityUnits)),
                "WriteCapacityUnits": .number(String(writeCapacityUnits)),
            ]),
            "TableSizeBytes": .number(String(sizeBytes)),
            "ItemCount": .number(String(itemCount)),
            "TableArn": .string(arn),
            "TableId": .string(tableId),
            "DeletionProtectionEnabled": .bool(false),
        ]
        let globals = indexes.filter { $0.kind == .global }
        let locals = indexes.filter { $0.kind == .local }
        func described(_ list: [IndexDefinition]) -> JSONValue {
            .array(
                list.map {
                    $0.description(
                        table: self, itemCount: indexStats[$0.name]?.count ?? 0,
                        sizeBytes: indexStats[$0.name]?.size ?? 0)
                })
        }
        if !globals.isEmpty { table["GlobalSecondaryIndexes"] = described(globals) }
        if !locals.isEmpty { table["LocalSecondaryIndexes"] = described(locals) }
        if let stream {
            if stream.enabled {
                table["StreamSpecification"] = .object([
                    "StreamEnabled": .bool(true), "StreamViewType": .string(stream.viewType.rawValue),
                ])
            }
            table["LatestStreamArn"] = .string(stream.arn)
            table["LatestStreamLabel"] = .string(stream.label)
        }
        if billingMode == "PAY_PER_REQUEST" {
            table["BillingModeSummary"] = .object([
                "BillingMode": .string("PAY_PER_REQUEST"),
                "LastUpdateToPayPerRequestDateTime": .number(String(format3(creationTime))),
            ])
        }
        return .object(table)
    }
}

/// Seconds with millisecond precision, as DynamoDB's JSON timestamps are written.
func format3(_ seconds: Double) -> String {
    let millis = Int64((seconds * 1000).rounded())
    let whole = millis / 1000
    let frac = millis % 1000
    let fracText = String(frac)
    return "\(whole)." + String(repeating: "0", count: 3 - fracText.count) + fracText
}
