import DynamoModel

extension ItemCache {
    /// Answers a Query or Scan from L1 or Redis when the table's policy caches them and the
    /// request is cacheable, else through `fetch` (whose argument asks for ConsistentRead).
    /// `schema` is the table's keys; without it nothing can be invalidated precisely, so the
    /// request bypasses.
    public func query(
        request: JSONValue, operation: String, schema: TableKeySchema?,
        fetch: @escaping @Sendable (_ consistent: Bool) async throws -> UpstreamAnswer
    ) async throws -> (UpstreamAnswer, CacheStatus) {
        let table = request["TableName"]?.stringValue.map(TableReference.name) ?? "-"
        let policy = policies.policy(for: table)
        guard let schema, operation == "Query" ? policy.cacheQueries : policy.cacheScans,
            case .cacheable(let key) = QueryCacheability.decide(
                request, operation: operation, namespace: namespace, schema: schema)
        else {
            return try await bypass(
                table: table, operation: operation, consistentPossible: request["IndexName"] == nil, fetch)
        }
        return try await cachedRead(key, fetch: fetch)
    }
}
