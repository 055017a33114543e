import DynamoExpressions
import DynamoModel

extension EmbeddedEngine {
    static let legacyWriteParameters = ["Expected", "ConditionalOperator", "AttributeUpdates"]

    /// Parses an optional ConditionExpression against the request's placeholders.
    static func condition(
        _ request: JSONValue,
        _ name: String,
        kind: ExpressionKind,
        _ attributes: inout ExpressionAttributes
    ) throws -> Condition? {
        guard let text = try string(request, name) else { return nil }
        return try Expressions.condition(text, kind: kind, attributes: &attributes)
    }

    static func projection(_ request: JSONValue, _ attributes: inout ExpressionAttributes) throws -> [AttributePath]? {
        guard let text = try string(request, "ProjectionExpression") else { return nil }
        return try Expressions.projection(text, attributes: &attributes)
    }

    static func returnValues(_ request: JSONValue, allowed: [String]) throws(DynamoError) -> String {
        let value = try string(request, "ReturnValues") ?? "NONE"
        guard allowed.contains(value) else {
            throw DynamoError.validation("Return values set to invalid value")
        }
        return value
    }

    /// Evaluates a write's condition; on failure, DynamoDB's ConditionalCheckFailedException,
    /// carrying the old item when the client asked for it.
    static func checkCondition(_ condition: Condition?, _ old: Item?, _ request: JSONValue) throws {
        guard let condition else { return }
        if try ConditionEvaluator.evaluate(condition, item: old ?? [:]) { return }
        throw ConditionalCheckFailed(
            item: (try? string(request, "ReturnValuesOnConditionCheckFailure")) == "ALL_OLD" ? old : nil
        )
    }

    func putItem(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, Self.legacyWriteParameters)
        let table = try table(request)
        let item = try Item.fromJSON(try Self.required(request, "Item", path: "item"), parameter: "Item")
        let returnValues = try Self.returnValues(request, allowed: ["NONE", "ALL_OLD"])
        var attributes = try ExpressionAttributes(request: request)
        let condition = try Self.condition(request, "ConditionExpression", kind: .condition, &attributes)
        try attributes.checkAllUsed()
        let key = try keyBytes(table, item, exact: false)
        try Self.checkWritable(item)
        let capacityMode = try CapacityUnits.requested(request)
        return try db.transaction {
            let old = try loadItem(table, hash: key.hash, range: key.range)
            try Self.checkCondition(condition, old, request)
            try storeItem(table, item, hash: key.hash, range: key.range, old: .some(old))
            let capacity = try chargeWrite(table, old: old, new: item, mode: capacityMode)
            if returnValues == "ALL_OLD", let old {
                return JSONValue.object(["Attributes": old.json]).withCapacity(capacity)
            }
            return JSONValue.object([:]).withCapacity(capacity)
        }
    }

    func getItem(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, ["AttributesToGet"])
        let table = try table(request)
        let keyItem = try Item.fromJSON(try Self.required(request, "Key", path: "key"), parameter: "Key")
        var attributes = try ExpressionAttributes(request: request)
        let projection = try Self.projection(request, &attributes)
        try attributes.checkAllUsed()
        let key = try keyBytes(table, keyItem, exact: true)
        let capacityMode = try CapacityUnits.requested(request)
        let consistent = request["ConsistentRead"] == .bool(true)
        let item = try loadItem(table, hash: key.hash, range: key.range, consistent: consistent)
        let units = CapacityUnits.read(bytes: item.map(ItemSize.of) ?? 0, consistent: consistent)
        try chargeRead(table, units: units)
        let capacity = capacityMode.map { CapacityUnits.json(table: table.name, units: units, mode: $0) }
        guard let item else { return JSONValue.object([:]).withCapacity(capacity) }
        let result = projection.map { Projection.apply($0, to: item) } ?? item
        return JSONValue.object(["Item": result.json]).withCapacity(capacity)
    }

    func deleteItem(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, Self.legacyWriteParameters)
        let table = try table(request)
        let keyItem = try Item.fromJSON(try Self.required(request, "Key", path: "key"), parameter: "Key")
        let returnValues = try Self.returnValues(request, allowed: ["NONE", "ALL_OLD"])
        var attributes = try ExpressionAttributes(request: request)
        let condition = try Self.condition(request, "ConditionExpression", kind: .condition, &attributes)
        try attributes.checkAllUsed()
        let key = try keyBytes(table, keyItem, exact: true)
        let capacityMode = try CapacityUnits.requested(request)
        return try db.transaction {
            let old = try loadItem(table, hash: key.hash, range: key.range)
            try Self.checkCondition(condition, old, request)
            if old != nil { try removeItem(table, hash: key.hash, range: key.range, old: .some(old)) }
            let capacity = try chargeWrite(table, old: old, new: nil, mode: capacityMode)
            if returnValues == "ALL_OLD", let old {
                return JSONValue.object(["Attributes": old.json]).withCapacity(capacity)
            }
            return JSONValue.object([:]).withCapacity(capacity)
        }
    }

    func updateItem(_ request: JSONValue) throws -> JSONValue {
        try Self.refuseLegacy(request, Self.legacyWriteParameters)
        let table = try table(request)
        let keyItem = try Item.fromJSON(try Self.required(request, "Key", path: "key"), parameter: "Key")
        let returnValues = try Self.returnValues(
            request,
            allowed: ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"]
        )
        var attributes = try ExpressionAttributes(request: request)
        var actions: [UpdateAction] = []
        if let text = try Self.string(request, "UpdateExpression") {
            actions = try Expressions.update(text, attributes: &attributes)
        }
        let condition = try Self.condition(request, "ConditionExpression", kind: .condition, &attributes)
        try attributes.checkAllUsed()
        let key = try keyBytes(table, keyItem, exact: true)
        for action in actions where table.isKeyAttribute(action.path.topLevelName) {
            throw DynamoError.validation(
                "One or more parameter values were invalid: Cannot update attribute \(action.path.topLevelName). This attribute is part of the key"
            )
        }
        let capacityMode = try CapacityUnits.requested(request)
        return try db.transaction {
            let old = try loadItem(table, hash: key.hash, range: key.range)
            try Self.checkCondition(condition, old, request)
            let base = old ?? keyItem
            let new = try UpdateApplier.apply(actions, to: base)
            try Self.checkWritable(new)
            try storeItem(table, new, hash: key.hash, range: key.range, old: .some(old))
            let capacity = try chargeWrite(table, old: old, new: new, mode: capacityMode)
            return Self.updateResult(returnValues, old: old, new: new, paths: actions.map(\.path)).withCapacity(
                capacity)
        }
    }

    static func updateResult(_ returnValues: String, old: Item?, new: Item, paths: [AttributePath]) -> JSONValue {
        switch returnValues {
        case "ALL_OLD":
            if let old { return .object(["Attributes": old.json]) }
        case "ALL_NEW":
            return .object(["Attributes": new.json])
        case "UPDATED_OLD":
            if let old {
                let updated = Projection.apply(paths, to: old)
                if !updated.isEmpty { return .object(["Attributes": updated.json]) }
            }
        case "UPDATED_NEW":
            let updated = Projection.apply(paths, to: new)
            if !updated.isEmpty { return .object(["Attributes": updated.json]) }
        default:
            break
        }
        return .object([:])
    }
}

/// A write's condition was false; DynamoDB answers ConditionalCheckFailedException, with the
/// item when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`.
struct ConditionalCheckFailed: Error {
    var item: Item?

    var response: (DynamoError, JSONValue) {
        let error = DynamoError(
            status: 400,
            type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            message: "The conditional request failed"
        )
        var body: [String: JSONValue] = ["__type": .string(error.type), "message": .string(error.message)]
        if let item { body["Item"] = item.json }
        return (error, .object(body))
    }
}
