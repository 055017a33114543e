/// DynamoDB accepts a table's ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`) wherever a
/// table name goes. The cache, its policies, its invalidation groups and the change-stream
/// watch all key on the name, so an ARN and its name are one table to them.
public enum TableReference {
    /// The table's name: `NAME` for its ARN (or an index's ARN), the string itself otherwise.
    public static func name(_ reference: String) -> String {
        guard reference.hasPrefix("arn:") else { return reference }
        // arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME[/index/INDEX]
        let parts = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[5].hasPrefix("table/") else { return reference }
        let name = parts[5].dropFirst("table/".count).prefix { $0 != "/" }
        return name.isEmpty ? reference : String(name)
    }
}
