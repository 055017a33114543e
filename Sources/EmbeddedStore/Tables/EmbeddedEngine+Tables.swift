import DynamoModel
import Foundation

extension EmbeddedEngine {
    func createTable(_ request: JSONValue) throws -> JSONValue {
        let name = try Self.tableName(request)
        try Self.checkTableName(name)
        for unsupported in [
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification", "SSESpecification",
        ]
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
        if attributes.count != schema.count {
            throw DynamoError.validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
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
        let definition = TableDefinition(
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
        let insert = try db.statement("INSERT INTO dc_tables (name, definition) VALUES (?, ?)")
        insert.bind(1, name)
        insert.bind(2, JSONWriter.bytes(definition.json))
        try insert.run()
        tables[name] = definition
        return .object(["TableDescription": definition.description(status: "ACTIVE", itemCount: 0, sizeBytes: 0)])
    }

    static func checkTableName(_ name: String) throws(DynamoError) {
        let valid = name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45 || c == 46
        }
        guard (3...255).contains(name.utf8.count), valid else {
            throw DynamoError.validation(
                "1 validation error detected: Value '\(name)' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
            )
        }
    }

    func statistics(_ table: TableDefinition) throws -> (count: Int, size: Int) {
        let select = try db.statement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dc_items WHERE tbl = ?")
        select.bind(1, table.name)
        _ = try select.step()
        return (Int(select.int64(0)), Int(select.int64(1)))
    }

    func describeTable(_ request: JSONValue) throws -> JSONValue {
        let name = try Self.tableName(request)
        guard let table = tables[name] else {
            throw DynamoError.resourceNotFound("Requested resource not found: Table: \(name) not found")
        }
        let stats = try statistics(table)
        return .object(["Table": table.description(status: "ACTIVE", itemCount: stats.count, sizeBytes: stats.size)])
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
        guard let table = tables[name] else {
            throw DynamoError.resourceNotFound("Requested resource not found: Table: \(name) not found")
        }
        let stats = try statistics(table)
        try db.transaction {
            let items = try db.statement("DELETE FROM dc_items WHERE tbl = ?")
            items.bind(1, name)
            try items.run()
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
