/// How one table's writes go out: batched into BatchWriteItem within a window (on by default),
/// and, only when asked, coalesced per key (off by default: stream consumers then see one record
/// where the clients made several writes).
public struct WriteSettings: Sendable, Equatable {
    public var batching = true
    public var windowMilliseconds: Double = 2
    public var coalesce = false

    public init() {}
}

/// Write settings per table, with a default for tables not named.
public struct WritePolicies: Sendable, Equatable {
    public var defaultSettings = WriteSettings()
    public var tables: [String: WriteSettings] = [:]

    public init() {}

    public func settings(for table: String) -> WriteSettings { tables[table] ?? defaultSettings }
}
