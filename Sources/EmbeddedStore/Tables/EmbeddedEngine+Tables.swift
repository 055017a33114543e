import DynamoModel
import Foundation

extension EmbeddedEngine {
    func createTable(_ request: JSONValue) throws -> JSONValue {
        let name = try Self.tableName(request)
        try Self.checkTableName(name)
        let streamSpecification = try TableStream.specification(request)
        for unsupported in ["SSESpecification"]
        where request[unsupported] != nil && request[unsupported] != .null {
            throw DynamoError.validation("The embedded table store does not support \(unsupported) yet")
        }
        guard case .array(let schema) = try Self.required(request, "KeySchema", path: "keySchema") else {
            throw DynamoError.serialization("KeySchema must be a list")
        }
        guard
            case .array(let definitions) = try Self.required(
                request, "AttributeDefinitions", path: "attributeDefinitions")
        else { throw DynamoError.serialization("AttributeDefinitions must be a list") }

        var attributes: [KeyAttribute] = []
        for definition in definitions {
            guard let n = definition["AttributeName"]?.stringValue, let t = definition["AttributeType"]?.stringValue
            else {
                throw DynamoError.validation(
                    "Invalid AttributeDefinitions: AttributeName and AttributeType are required")
            }
            guard ["S", "N", "B"].contains(t) else {
                throw DynamoError.validation(
                    "1 validation error detected: Value '\(t)' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                )
            }
            if attributes.contains(where: { $0.name == n }) {
                throw DynamoError.validation("Cannot have two attributes with the same name")
            }
            attributes.append(KeyAttribute(name: n, type: t))
        }
        guard (1...2).contains(schema.count) else {
            throw DynamoError.validation(
                "1 validation error detected: Value '\(schema)' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2"
            )
        }
        var hash: KeyAttribute?
        var range: KeyAttribute?
        for (i, element) in schema.enumerated() {
            guard let n = element["AttributeName"]?.stringValue, let type = element["KeyType"]?.stringValue else {
                throw DynamoError.validation("Invalid KeySchema: AttributeName and KeyType are required")
            }
            guard let attribute = attributes.first(where: { $0.name == n }) else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [\(n)], AttributeDefinitions: [\(attributes.map(\.name).joined(separator: ", "))]"
                )
            }
            switch (i, type) {
            case (0, "HASH"): hash = attribute
            case (1, "RANGE"): range = attribute
            case (0, _):
                throw DynamoError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
            default:
                throw DynamoError.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
            }
        }
        guard let hash else {
            throw DynamoError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        if range?.name == hash.name {
            throw DynamoError.validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name")
        }
        let indexes = try Self.indexes(
            request,
            attributes: attributes,
            hash: hash,
            range: range,
            billing: try Self.string(request, "BillingMode") ?? "PROVISIONED"
        )
        let used = Set([hash.name] + (range.map { [$0.name] } ?? []) + indexes.flatMap(\.keyNames))
        if Set(attributes.map(\.name)) != used {
            throw DynamoError.validation(
                indexes.isEmpty
                    ? "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
                    : "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [\(attributes.map(\.name).sorted().joined(separator: ", "))], keys used: [\(used.sorted().joined(separator: ", "))]"
            )
        }
        let billing = try Self.string(request, "BillingMode") ?? "PROVISIONED"
        var rcu = 0
        var wcu = 0
        let throughput = request["ProvisionedThroughput"].flatMap { $0 == .null ? nil : $0 }
        switch billing {
        case "PAY_PER_REQUEST":
            if throughput != nil {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                )
            }
        case "PROVISIONED":
            guard let r = throughput?["ReadCapacityUnits"]?.intValue,
                let w = throughput?["WriteCapacityUnits"]?.intValue
            else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
                )
            }
            guard r >= 1, w >= 1 else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must be greater than 0"
                )
            }
            rcu = r
            wcu = w
        default:
            throw DynamoError.validation(
                "1 validation error detected: Value '\(billing)' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            )
        }
        if tables[name] != nil {
            throw DynamoError(
                status: 400,
                type: "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
                message: "Table already exists: \(name)"
            )
        }
        var definition = TableDefinition(
            name: name,
            hashKey: hash,
            rangeKey: range,
            attributeDefinitions: attributes,
            billingMode: billing,
            readCapacityUnits: rcu,
            writeCapacityUnits: wcu,
            creationTime: now(),
            tableId: UUID().uuidString.lowercased()
        )
        definition.indexes = indexes
        try db.transaction {
            if case .some(.some(let view)) = streamSpecification { try enableStream(&definition, viewType: view) }
            let insert = try db.statement("INSERT INTO dc_tables (name, definition) VALUES (?, ?)")
            insert.bind(1, name)
            insert.bind(2, JSONWriter.bytes(definition.json))
            try insert.run()
        }
        tables[name] = definition
        return .object(["TableDescription": definition.description(status: "ACTIVE", itemCount: 0, sizeBytes: 0)])
    }

    /// GlobalSecondaryIndexes and LocalSecondaryIndexes of a CreateTable, checked as DynamoDB
    /// checks them.
    static func indexes(
        _ request: JSONValue,
        attributes: [KeyAttribute],
        hash: KeyAttribute,
        range: KeyAttribute?,
        billing: String
    ) throws -> [IndexDefinition] {
        var out: [IndexDefinition] = []
        for (member, kind) in [
            ("GlobalSecondaryIndexes", IndexDefinition.Kind.global), ("LocalSecondaryIndexes", .local),
        ] {
            guard let list = request[member], list != .null else { continue }
            guard case .array(let specs) = list, !specs.isEmpty else {
                throw DynamoError.validation("One or more parameter values were invalid: List of \(member) is empty")
            }
            if (kind == .global && specs.count > 20) || (kind == .local && specs.count > 5) {
                throw DynamoError.validation("One or more parameter values were invalid: too many \(member)")
            }
            for spec in specs {
                out.append(
                    try index(
                        spec, kind: kind, member: member, attributes: attributes, hash: hash, range: range,
                        billing: billing))
                if out.dropLast().contains(where: { $0.name == out.last!.name }) {
                    throw DynamoError.validation(
                        "One or more parameter values were invalid: Duplicate index name: \(out.last!.name)")
                }
            }
        }
        return out
    }

    static func index(
        _ spec: JSONValue,
        kind: IndexDefinition.Kind,
        member: String,
        attributes: [KeyAttribute],
        hash: KeyAttribute,
        range: KeyAttribute?,
        billing: String
    ) throws -> IndexDefinition {
        guard let name = spec["IndexName"]?.stringValue, let schema = spec["KeySchema"]?.arrayValue,
            let projection = spec["Projection"]
        else {
            throw DynamoError.validation(
                "One or more parameter values were invalid: \(member) need IndexName, KeySchema and Projection")
        }
        try checkTableName(name, field: "indexName")
        var keys: [KeyAttribute] = []
        for (i, element) in schema.enumerated() {
            guard i < 2, let n = element["AttributeName"]?.stringValue, let type = element["KeyType"]?.stringValue,
                type == (i == 0 ? "HASH" : "RANGE")
            else { throw DynamoError.validation("Invalid KeySchema of index \(name)") }
            guard let attribute = attributes.first(where: { $0.name == n }) else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [\(n)], AttributeDefinitions: [\(attributes.map(\.name).joined(separator: ", "))]"
                )
            }
            keys.append(attribute)
        }
        guard let indexHash = keys.first else { throw DynamoError.validation("Invalid KeySchema of index \(name)") }
        if kind == .local {
            guard range != nil else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
                )
            }
            guard indexHash == hash, keys.count == 2 else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: \(name)"
                )
            }
        }
        let type = projection["ProjectionType"]?.stringValue ?? "ALL"
        guard ["ALL", "KEYS_ONLY", "INCLUDE"].contains(type) else {
            throw DynamoError.validation("One or more parameter values were invalid: Unknown ProjectionType: \(type)")
        }
        let include = projection["NonKeyAttributes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if (type == "INCLUDE") == include.isEmpty {
            throw DynamoError.validation(
                "One or more parameter values were invalid: NonKeyAttributes go with ProjectionType INCLUDE only")
        }
        var rcu = 0
        var wcu = 0
        if kind == .global && billing == "PROVISIONED" {
            guard let r = spec["ProvisionedThroughput"]?["ReadCapacityUnits"]?.intValue,
                let w = spec["ProvisionedThroughput"]?["WriteCapacityUnits"]?.intValue
            else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: \(name)"
                )
            }
            rcu = r
            wcu = w
        }
        return IndexDefinition(
            name: name, kind: kind, hashKey: indexHash, rangeKey: keys.count > 1 ? keys[1] : nil,
            projectionType: type, nonKeyAttributes: include, readCapacityUnits: rcu, writeCapacityUnits: wcu
        )
    }

    static func checkTableName(_ name: String, field: String = "tableName") throws(DynamoError) {
        let valid = name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45 || c == 46
        }
        guard (3...255).contains(name.utf8.count), valid else {
            throw DynamoError.validation(
                "1 validation error detected: Value '\(name)' at '\(field)' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
            )
        }
    }

    func statistics(_ table: TableDefinition) throws -> (count: Int, size: Int) {
        let select = try db.statement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dc_items WHERE tbl = ?")
        select.bind(1, table.name)
        _ = try select.step()
        return (Int(select.int64(0)), Int(select.int64(1)))
    }

    func indexStatistics(_ table: TableDefinition) throws -> [String: (count: Int, size: Int)] {
        var out: [String: (count: Int, size: Int)] = [:]
        for index in table.indexes {
            let select = try db.statement(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dc_index_items WHERE tbl = ? AND idx = ?")
            select.bind(1, table.name)
            select.bind(2, index.name)
            _ = try select.step()
            out[index.name] = (Int(select.int64(0)), Int(select.int64(1)))
        }
        return out
    }

    func describeTable(_ request: JSONValue) throws -> JSONValue {
        let name = try Self.tableName(request)
        guard let table = tables[name] else {
            throw DynamoError.resourceNotFound("Requested resource not found: Table: \(name) not found")
        }
        let stats = try statistics(table)
        return .object([
            "Table": table.description(
                status: "ACTIVE", itemCount: stats.count, sizeBytes: stats.size, indexStats: try indexStatistics(table))
        ])
    }

    func listTables(_ request: JSONValue) throws -> JSONValue {
        var limit = 100
        if let l = request["Limit"], l != .null {
            guard let n = l.intValue, (1...100).contains(n) else {
                throw DynamoError.validation(
                    "1 validation error detected: Value '\(l.intValue.map(String.init) ?? "?")' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100"
                )
            }
            limit = n
        }
        let start = try Self.string(request, "ExclusiveStartTableName")
        let names = tables.keys.sorted().filter { start == nil || $0 > start! }
        let page = Array(names.prefix(limit))
        var response: [String: JSONValue] = ["TableNames": .array(page.map { .string($0) })]
        if names.count > limit, let last = page.last { response["LastEvaluatedTableName"] = .string(last) }
        return .object(response)
    }

    func deleteTable(_ request: JSONValue) throws -> JSONValue {
        let name = try Self.tableName(request)
        guard var table = tables[name] else {
            throw DynamoError.resourceNotFound("Requested resource not found: Table: \(name) not found")
        }
        let stats = try statistics(table)
        try db.transaction {
            // The stream outlives the table until its records age out, as on DynamoDB.
            if table.stream?.enabled == true { try disableStream(&table) }
            let items = try db.statement("DELETE FROM dc_items WHERE tbl = ?")
            items.bind(1, name)
            try items.run()
            let entries = try db.statement("DELETE FROM dc_index_items WHERE tbl = ?")
            entries.bind(1, name)
            try entries.run()
            let expiries = try db.statement("DELETE FROM dc_ttl WHERE tbl = ?")
            expiries.bind(1, name)
            try expiries.run()
            try dropFromReplica(name)
            let row = try db.statement("DELETE FROM dc_tables WHERE name = ?")
            row.bind(1, name)
            try row.run()
        }
        tables[name] = nil
        return .object([
            "TableDescription": table.description(status: "DELETING", itemCount: stats.count, sizeBytes: stats.size)
        ])
    }
}
