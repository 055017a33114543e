import DynamoModel

/// Provisioned capacity: PROVISIONED tables and their GSIs spend read and write units from
/// token buckets; an empty bucket answers ProvisionedThroughputExceededException with
/// ThrottlingReasons, as DynamoDB does, and batches hand back what did not fit as Unprocessed*.
/// On-demand tables are never throttled. Buckets live in memory: a restart refills them.
extension EmbeddedEngine {
    enum CapacityKind: String {
        case read, write
    }

    /// Whose budget a call spends: the table's (an LSI's reads and writes included) or a GSI's.
    struct Budget {
        var table: TableDefinition
        var index: IndexDefinition?
        var kind: CapacityKind

        var key: String { "\(table.name)|\(index?.name ?? "")|\(kind.rawValue)" }

        /// Units per second, or nil when unmetered (on demand).
        var rate: Double? {
            guard table.billingMode == "PROVISIONED" else { return nil }
            if let index, index.kind == .global {
                return Double(kind == .read ? index.readCapacityUnits : index.writeCapacityUnits)
            }
            return Double(kind == .read ? table.readCapacityUnits : table.writeCapacityUnits)
        }

        var reason: String {
            let owner = index?.kind == .global ? "Index" : "Table"
            return "\(owner)\(kind == .read ? "Read" : "Write")ProvisionedThroughputExceeded"
        }

        var resource: String {
            if let index, index.kind == .global { return "\(table.arn)/index/\(index.name)" }
            return table.arn
        }
    }

    /// The bucket of a budget, refilled to now; nil when unmetered.
    private func refilled(_ budget: Budget) -> TokenBucket? {
        guard let rate = budget.rate else { return nil }
        let now = nowMilliseconds
        var bucket =
            capacityBuckets[budget.key]
            ?? TokenBucket(rate: rate, burstSeconds: capacityBurstSeconds, now: now)
        bucket.refill(rate: rate, burstSeconds: capacityBurstSeconds, now: now)
        capacityBuckets[budget.key] = bucket
        return bucket
    }

    func hasCapacity(_ budget: Budget) -> Bool { refilled(budget)?.admits ?? true }

    /// Throws DynamoDB's throttling error when any of these budgets is spent.
    func admit(_ budgets: [Budget]) throws {
        let spent = budgets.filter { !hasCapacity($0) }
        guard !spent.isEmpty else { return }
        let owner = spent.contains { $0.index?.kind == .global } ? "index" : "table"
        throw DetailedFailure(
            status: 400,
            body: .object([
                "__type": .string("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
                "message": .string(
                    "The level of configured provisioned throughput for the \(owner) was exceeded. Consider increasing your provisioning level with the UpdateTable API."
                ),
                "ThrottlingReasons": .array(
                    spent.map { .object(["reason": .string($0.reason), "resource": .string($0.resource)]) }),
            ])
        )
    }

    func spend(_ budget: Budget, _ units: Double) {
        guard var bucket = refilled(budget) else { return }
        bucket.spend(units)
        capacityBuckets[budget.key] = bucket
    }

    /// A single-item write, already applied inside the caller's transaction: throttled (and so
    /// rolled back) when the table's or a touched GSI's write budget is spent; otherwise charged,
    /// and the ConsumedCapacity the client asked for returned.
    func chargeWrite(_ table: TableDefinition, old: Item?, new: Item?, mode: String?, transactional: Bool = false)
        throws -> JSONValue?
    {
        let units = CapacityUnits.write(bytes: max(new.map(ItemSize.of) ?? 0, old.map(ItemSize.of) ?? 0))
        let indexes = CapacityUnits.indexWrites(table, old: old, new: new)
        let touched = table.indexes.filter { indexes[$0.name]?.global == true }
        let budgets =
            [Budget(table: table, kind: .write)] + touched.map { Budget(table: table, index: $0, kind: .write) }
        try admit(budgets)
        let factor = transactional ? 2.0 : 1.0
        spend(budgets[0], factor * (units + indexes.values.filter { !$0.global }.reduce(0) { $0 + $1.units }))
        for index in touched {
            spend(Budget(table: table, index: index, kind: .write), factor * indexes[index.name]!.units)
        }
        return mode.map { CapacityUnits.json(table: table.name, units: units, mode: $0, indexes: indexes) }
    }

    /// A read: throttled when its budget is spent, else charged.
    func chargeRead(_ table: TableDefinition, index: IndexDefinition? = nil, units: Double) throws {
        let budget = Budget(table: table, index: index, kind: .read)
        try admit([budget])
        spend(budget, units)
    }
}
