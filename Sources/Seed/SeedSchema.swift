import DynamoModel

/// The seed's tables: one per entity of the access patterns the load tests exercise, plus the
/// single-table design `App`. Every table has a NEW_AND_OLD_IMAGES stream (the change-stream
/// consumer follows it); Messages expire through TTL (`expiresAt`).
public enum SeedSchema {
    struct Table {
        var name: String
        var hash: (String, String)
        var range: (String, String)?
        /// GSI name → (hash, range?) attributes (all strings or numbers as declared below).
        var indexes: [(name: String, hash: (String, String), range: (String, String)?)]
        var ttl: String?
    }

    static let tables: [Table] = [
        Table(name: "Users", hash: ("userId", "S"), indexes: []),
        Table(
            name: "Accounts", hash: ("accountId", "S"),
            indexes: [("byOwner", ("ownerUserId", "S"), ("createdAt", "N"))]),
        Table(name: "Conversations", hash: ("conversationId", "S"), indexes: []),
        Table(name: "Messages", hash: ("conversationId", "S"), range: ("sentAt", "S"), indexes: [], ttl: "expiresAt"),
        Table(name: "Jobs", hash: ("jobId", "S"), indexes: [("byAccount", ("accountId", "S"), ("createdAt", "N"))]),
        Table(name: "JobRuns", hash: ("runId", "S"), indexes: [("byJob", ("jobId", "S"), ("startedAt", "N"))]),
        Table(name: "Integrations", hash: ("integrationId", "S"), indexes: []),
        Table(
            name: "Analytics", hash: ("eventId", "S"),
            indexes: [("byUser", ("userId", "S"), ("at", "N")), ("byAccount", ("accountId", "S"), ("at", "N"))]),
        Table(name: "App", hash: ("PK", "S"), range: ("SK", "S"), indexes: []),
    ]

    static func createTable(_ t: Table) -> JSONValue {
        var attributes: [String: String] = [t.hash.0: t.hash.1]
        if let r = t.range { attributes[r.0] = r.1 }
        func keySchema(_ hash: (String, String), _ range: (String, String)?) -> JSONValue {
            var schema: [JSONValue] = [.object(["AttributeName": .string(hash.0), "KeyType": .string("HASH")])]
            if let range { schema.append(.object(["AttributeName": .string(range.0), "KeyType": .string("RANGE")])) }
            return .array(schema)
        }
        var request: [String: JSONValue] = [
            "TableName": .string(t.name), "KeySchema": keySchema(t.hash, t.range),
            "BillingMode": .string("PAY_PER_REQUEST"),
            "StreamSpecification": .object([
                "StreamEnabled": .bool(true), "StreamViewType": .string("NEW_AND_OLD_IMAGES"),
            ]),
        ]
        if !t.indexes.isEmpty {
            request["GlobalSecondaryIndexes"] = .array(
                t.indexes.map { index in
                    attributes[index.hash.0] = index.hash.1
                    if let r = index.range { attributes[r.0] = r.1 }
                    return .object([
                        "IndexName": .string(index.name), "KeySchema": keySchema(index.hash, index.range),
                        "Projection": .object(["ProjectionType": .string("ALL")]),
                    ])
                })
        }
        request["AttributeDefinitions"] = .array(
            attributes.keys.sorted().map {
                .object(["AttributeName": .string($0), "AttributeType": .string(attributes[$0]!)])
            })
        return .object(request)
    }
}
