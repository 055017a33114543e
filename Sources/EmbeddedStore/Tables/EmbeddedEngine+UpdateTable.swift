import DynamoModel

extension EmbeddedEngine {
    /// UpdateTable: add a GSI (backfilled from the base table before the call returns, reported
    /// as CREATING in the answer and ACTIVE afterwards), remove one, change a GSI's or the
    /// table's throughput or billing mode, enable or disable the stream.
    func updateTable(_ request: JSONValue) throws -> JSONValue {
        var table = try table(request)
        var attributes = table.attributeDefinitions
        for definition in request["AttributeDefinitions"]?.arrayValue ?? [] {
            guard let n = definition["AttributeName"]?.stringValue, let t = definition["AttributeType"]?.stringValue,
                ["S", "N", "B"].contains(t)
            else { throw DynamoError.validation("Invalid AttributeDefinitions") }
            if let existing = attributes.first(where: { $0.name == n }) {
                guard existing.type == t else {
                    throw DynamoError.validation(
                        "One or more parameter values were invalid: Attribute \(n) is already defined with type \(existing.type)"
                    )
                }
            } else {
                attributes.append(KeyAttribute(name: n, type: t))
            }
        }
        var created: Set<String> = []
        var removed: [String] = []
        for update in request["GlobalSecondaryIndexUpdates"]?.arrayValue ?? [] {
            if let create = update["Create"] {
                let index = try Self.index(
                    create,
                    kind: .global,
                    member: "GlobalSecondaryIndexUpdates",
                    attributes: attributes,
                    hash: table.hashKey,
                    range: table.rangeKey,
                    billing: table.billingMode
                )
                guard table.index(named: index.name) == nil else {
                    throw DynamoError.validation(
                        "One or more parameter values were invalid: Index already exists: \(index.name)")
                }
                table.indexes.append(index)
                created.insert(index.name)
            } else if let delete = update["Delete"], let name = delete["IndexName"]?.stringValue {
                guard table.index(named: name)?.kind == .global else {
                    throw DynamoError.resourceNotFound("Requested resource not found: Index: \(name) not found")
                }
                table.indexes.removeAll { $0.name == name }
                removed.append(name)
            } else if let change = update["Update"], let name = change["IndexName"]?.stringValue {
                guard let i = table.indexes.firstIndex(where: { $0.name == name && $0.kind == .global }) else {
                    throw DynamoError.resourceNotFound("Requested resource not found: Index: \(name) not found")
                }
                if let r = change["ProvisionedThroughput"]?["ReadCapacityUnits"]?.intValue {
                    table.indexes[i].readCapacityUnits = r
                }
                if let w = change["ProvisionedThroughput"]?["WriteCapacityUnits"]?.intValue {
                    table.indexes[i].writeCapacityUnits = w
                }
            } else {
                throw DynamoError.validation("GlobalSecondaryIndexUpdates entries need Create, Update or Delete")
            }
        }
        // Attribute definitions keep only what some key uses, as DynamoDB keeps them.
        let used = Set(table.keyNames + table.indexes.flatMap(\.keyNames))
        table.attributeDefinitions = attributes.filter { used.contains($0.name) }
        if let billing = try Self.string(request, "BillingMode") { table.billingMode = billing }
        if let r = request["ProvisionedThroughput"]?["ReadCapacityUnits"]?.intValue { table.readCapacityUnits = r }
        if let w = request["ProvisionedThroughput"]?["WriteCapacityUnits"]?.intValue { table.writeCapacityUnits = w }

        let streamChange = try TableStream.specification(request)
        switch streamChange {
        case .some(.some) where table.stream?.enabled == true:
            throw DynamoError.validation("Table already has an enabled stream: \(table.stream!.arn)")
        case .some(.none) where table.stream?.enabled != true:
            throw DynamoError.validation("Table already has no enabled stream")
        default:
            break
        }

        var definition = table
        try db.transaction {
            switch streamChange {
            case .some(.some(let view)): try enableStream(&definition, viewType: view)
            case .some(.none): try disableStream(&definition)
            case .none: break
            }
            for name in removed {
                let delete = try db.statement("DELETE FROM dc_index_items WHERE tbl = ? AND idx = ?")
                delete.bind(1, definition.name)
                delete.bind(2, name)
                try delete.run()
            }
            if !created.isEmpty {
                // Backfill: every base item, entered in the indexes it now belongs to.
                let select = try db.statement("SELECT hk, rk, item FROM dc_items WHERE tbl = ?")
                select.bind(1, definition.name)
                var rows: [([UInt8], [UInt8], [UInt8])] = []
                while try select.step() { rows.append((select.blob(0), select.blob(1), select.blob(2))) }
                for (hash, range, bytes) in rows {
                    try reindex(definition, try Self.decodeItem(bytes), hash: hash, range: range)
                }
            }
            if !created.isEmpty || !removed.isEmpty { try rebuildReplicaIndexes(definition) }
            let update = try db.statement("UPDATE dc_tables SET definition = ? WHERE name = ?")
            update.bind(1, JSONWriter.bytes(definition.json))
            update.bind(2, definition.name)
            try update.run()
        }
        table = definition
        tables[table.name] = table
        let stats = try statistics(table)
        var description = table.description(
            status: "ACTIVE",
            itemCount: stats.count,
            sizeBytes: stats.size,
            indexStats: try indexStatistics(table)
        )
        // The answer reports a new index as CREATING, as DynamoDB does while it backfills.
        if case .object(var members) = description, case .array(var globals)? = members["GlobalSecondaryIndexes"] {
            for (i, g) in globals.enumerated() {
                if let name = g["IndexName"]?.stringValue, created.contains(name), case .object(var index) = g {
                    index["IndexStatus"] = .string("CREATING")
                    globals[i] = .object(index)
                }
            }
            members["GlobalSecondaryIndexes"] = .array(globals)
            description = .object(members)
        }
        return .object(["TableDescription": description])
    }
}
