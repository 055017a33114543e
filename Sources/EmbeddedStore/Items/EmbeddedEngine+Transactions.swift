import DynamoExpressions
import DynamoModel
import Foundation

/// An answer that is an error with more than `__type` and `message` (TransactionCanceled's
/// CancellationReasons).
struct DetailedFailure: Error {
    var status: Int
    var body: JSONValue
}

extension EmbeddedEngine {
    static let transactionLimit = 100
    /// DynamoDB remembers a ClientRequestToken for ten minutes.
    static let tokenLifetimeSeconds = 600.0

    /// One action of a TransactWriteItems, parsed and checked before anything is applied.
    struct TransactionAction {
        enum Kind {
            case put(Item)
            case update([UpdateAction])
            case delete
            case conditionCheck
        }
        var table: TableDefinition
        var kind: Kind
        var keyItem: Item
        var key: (hash: [UInt8], range: [UInt8])
        var condition: Condition?
        var returnOldOnFailure: Bool
    }

    func transactWriteItems(_ request: JSONValue) throws -> JSONValue {
        guard case .array(let list) = try Self.required(request, "TransactItems", path: "transactItems") else {
            throw DynamoError.serialization("TransactItems must be a list")
        }
        guard (1...Self.transactionLimit).contains(list.count) else {
            throw DynamoError.validation(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
            )
        }
        var actions: [TransactionAction] = []
        var seen: Set<[UInt8]> = []
        for entry in list {
            let action = try transactionAction(entry)
            guard
                seen.insert(Array(action.table.name.utf8) + [0] + action.key.hash + [0xFF] + action.key.range).inserted
            else {
                throw DynamoError.validation("Transaction request cannot include multiple operations on one item")
            }
            actions.append(action)
        }
        let token = try Self.string(request, "ClientRequestToken")
        let capacityMode = try CapacityUnits.requested(request)
        let digest = JSONWriter.bytes(request["TransactItems"] ?? .null)
        return try db.transaction {
            if let token, try tokenSeen(token, digest: digest) { return .object([:]) }
            // Every condition against the state before the transaction; all or nothing.
            var reasons: [JSONValue] = []
            var olds: [Item?] = []
            var failed = false
            for action in actions {
                let old = try loadItem(action.table, hash: action.key.hash, range: action.key.range)
                olds.append(old)
                if let condition = action.condition, try !ConditionEvaluator.evaluate(condition, item: old ?? [:]) {
                    var reason: [String: JSONValue] = [
                        "Code": .string("ConditionalCheckFailed"), "Message": .string("The conditional request failed"),
                    ]
                    if action.returnOldOnFailure, let old { reason["Item"] = old.json }
                    reasons.append(.object(reason))
                    failed = true
                } else {
                    reasons.append(.object(["Code": .string("None")]))
                }
            }
            // Updates are computed before anything is written, so a type error cancels too.
            var news: [Item?] = []
            for (i, action) in actions.enumerated() {
                switch action.kind {
                case .put(let item): news.append(item)
                case .delete, .conditionCheck: news.append(nil)
                case .update(let updates):
                    do {
                        let new = try UpdateApplier.apply(updates, to: olds[i] ?? action.keyItem)
                        try Self.checkWritable(new)
                        news.append(new)
                    } catch {
                        let message =
                            (error as? ExpressionError)?.message ?? (error as? DynamoError)?.message ?? "\(error)"
                        reasons[i] = .object(["Code": .string("ValidationError"), "Message": .string(message)])
                        failed = true
                        news.append(nil)
                    }
                }
            }
            if failed {
                let codes = reasons.map { $0["Code"]?.stringValue ?? "None" }.joined(separator: ", ")
                throw DetailedFailure(
                    status: 400,
                    body: .object([
                        "__type": .string("com.amazonaws.dynamodb.v20120810#TransactionCanceledException"),
                        "message": .string(
                            "Transaction cancelled, please refer cancellation reasons for specific reasons [\(codes)]"),
                        "CancellationReasons": .array(reasons),
                    ])
                )
            }
            var units: [String: Double] = [:]
            for (i, action) in actions.enumerated() {
                // Transactions cost twice the units of the same writes outside one, and are
                // throttled whole (rolled back) when a budget they need is spent.
                let size = max(news[i].map(ItemSize.of) ?? 0, olds[i].map(ItemSize.of) ?? 0)
                units[action.table.name, default: 0] += 2 * CapacityUnits.write(bytes: size)
                switch action.kind {
                case .conditionCheck: break
                default: _ = try chargeWrite(action.table, old: olds[i], new: news[i], mode: nil, transactional: true)
                }
                switch action.kind {
                case .put, .update:
                    try storeItem(
                        action.table, news[i]!, hash: action.key.hash, range: action.key.range, old: .some(olds[i]))
                case .delete:
                    if olds[i] != nil {
                        try removeItem(
                            action.table, hash: action.key.hash, range: action.key.range, old: .some(olds[i]))
                    }
                case .conditionCheck:
                    break
                }
            }
            if let token { try remember(token, digest: digest) }
            let capacity = CapacityUnits.list(units, mode: capacityMode)
            return JSONValue.object([:]).withCapacity(capacity)
        }
    }

    func transactionAction(_ entry: JSONValue) throws -> TransactionAction {
        guard case .object(let members) = entry, members.count == 1, let (kindName, body) = members.first else {
            throw DynamoError.validation(
                "TransactItems can only contain one of Check, Put, Update or Delete"
            )
        }
        let table = try table(body)
        var attributes = try ExpressionAttributes(request: body)
        let condition = try Self.condition(body, "ConditionExpression", kind: .condition, &attributes)
        let returnOld = (try Self.string(body, "ReturnValuesOnConditionCheckFailure")) == "ALL_OLD"
        switch kindName {
        case "Put":
            let item = try Item.fromJSON(try Self.required(body, "Item", path: "item"), parameter: "Item")
            try attributes.checkAllUsed()
            let key = try keyBytes(table, item, exact: false)
            try Self.checkWritable(item)
            return TransactionAction(
                table: table, kind: .put(item), keyItem: Self.key(of: item, table), key: key, condition: condition,
                returnOldOnFailure: returnOld)
        case "Update":
            let keyItem = try Item.fromJSON(try Self.required(body, "Key", path: "key"), parameter: "Key")
            guard let text = try Self.string(body, "UpdateExpression") else {
                throw DynamoError.validation("UpdateExpression is required in a transaction's Update")
            }
            let updates = try Expressions.update(text, attributes: &attributes)
            try attributes.checkAllUsed()
            for update in updates where table.isKeyAttribute(update.path.topLevelName) {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Cannot update attribute \(update.path.topLevelName). This attribute is part of the key"
                )
            }
            let key = try keyBytes(table, keyItem, exact: true)
            return TransactionAction(
                table: table, kind: .update(updates), keyItem: keyItem, key: key, condition: condition,
                returnOldOnFailure: returnOld)
        case "Delete", "ConditionCheck":
            let keyItem = try Item.fromJSON(try Self.required(body, "Key", path: "key"), parameter: "Key")
            try attributes.checkAllUsed()
            let key = try keyBytes(table, keyItem, exact: true)
            if kindName == "ConditionCheck" && condition == nil {
                throw DynamoError.validation("ConditionExpression is required in a ConditionCheck")
            }
            return TransactionAction(
                table: table,
                kind: kindName == "Delete" ? .delete : .conditionCheck,
                keyItem: keyItem,
                key: key,
                condition: condition,
                returnOldOnFailure: returnOld
            )
        default:
            throw DynamoError.validation("TransactItems can only contain one of Check, Put, Update or Delete")
        }
    }

    /// True when this token already committed the same request within ten minutes.
    func tokenSeen(_ token: String, digest: [UInt8]) throws -> Bool {
        let select = try db.statement("SELECT digest, at FROM dc_tx_tokens WHERE token = ?")
        select.bind(1, token)
        guard try select.step() else { return false }
        let stored = select.blob(0)
        let at = Double(select.int64(1)) / 1000
        guard now() - at < Self.tokenLifetimeSeconds else { return false }
        guard stored == digest else {
            throw DynamoError(
                status: 400,
                type: "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                message: "The request uses the same client token as a previous, but non-identical request."
            )
        }
        return true
    }

    func remember(_ token: String, digest: [UInt8]) throws {
        let insert = try db.statement("INSERT OR REPLACE INTO dc_tx_tokens (token, digest, at) VALUES (?, ?, ?)")
        insert.bind(1, token)
        insert.bind(2, digest)
        insert.bind(3, Int64(now() * 1000))
        try insert.run()
    }

    func transactGetItems(_ request: JSONValue) throws -> JSONValue {
        guard case .array(let list) = try Self.required(request, "TransactItems", path: "transactItems") else {
            throw DynamoError.serialization("TransactItems must be a list")
        }
        guard (1...Self.transactionLimit).contains(list.count) else {
            throw DynamoError.validation(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
            )
        }
        var reads: [(TableDefinition, (hash: [UInt8], range: [UInt8]), [AttributePath]?)] = []
        var seen: Set<[UInt8]> = []
        for entry in list {
            guard let get = entry["Get"], entry.objectValue?.count == 1 else {
                throw DynamoError.validation("TransactGetItems can only contain Get actions")
            }
            let table = try table(get)
            let keyItem = try Item.fromJSON(try Self.required(get, "Key", path: "key"), parameter: "Key")
            var attributes = try ExpressionAttributes(request: get)
            let projection = try Self.projection(get, &attributes)
            try attributes.checkAllUsed()
            let key = try keyBytes(table, keyItem, exact: true)
            guard seen.insert(Array(table.name.utf8) + [0] + key.hash + [0xFF] + key.range).inserted else {
                throw DynamoError.validation("Transaction request cannot include multiple operations on one item")
            }
            reads.append((table, key, projection))
        }
        let capacityMode = try CapacityUnits.requested(request)
        return try db.transaction {
            var responses: [JSONValue] = []
            var units: [String: Double] = [:]
            for (table, key, projection) in reads {
                let item = try loadItem(table, hash: key.hash, range: key.range)
                let cost = 2 * CapacityUnits.read(bytes: item.map(ItemSize.of) ?? 0, consistent: true)
                units[table.name, default: 0] += cost
                try chargeRead(table, units: cost)
                if let item {
                    responses.append(
                        .object(["Item": (projection.map { Projection.apply($0, to: item) } ?? item).json]))
                } else {
                    responses.append(.object([:]))
                }
            }
            let capacity = CapacityUnits.list(units, mode: capacityMode)
            return JSONValue.object(["Responses": .array(responses)]).withCapacity(capacity)
        }
    }
}
