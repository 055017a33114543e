import DynamoModel
import Foundation
import TableStore

/// Creates the seed's tables and writes its items through any table store — the embedded store,
/// `dynacache store`, moto, or real DynamoDB (through the retry policy, so throttles are waited
/// out). Idempotent: existing tables are kept, TTL already on is left on, and the items written
/// are the same every time.
public struct Seeder: Sendable {
    let store: any TableStore
    let progress: @Sendable (String) -> Void

    public init(store: any TableStore, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.progress = progress
    }

    public struct SeedError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Returns how many items each table received.
    @discardableResult
    public func run(_ profile: SeedData.Profile) async throws -> [String: Int] {
        for table in SeedSchema.tables {
            let (status, body) = try await call("CreateTable", SeedSchema.createTable(table))
            if status != 200 && !Self.type(body).hasSuffix("ResourceInUseException") {
                throw SeedError(description: "CreateTable \(table.name): \(Self.message(body))")
            }
            try await waitUntilActive(table.name)
            if let ttl = table.ttl {
                let (status, body) = try await call(
                    "UpdateTimeToLive",
                    .object([
                        "TableName": .string(table.name),
                        "TimeToLiveSpecification": .object(["Enabled": .bool(true), "AttributeName": .string(ttl)]),
                    ]))
                if status != 200 && !Self.message(body).lowercased().contains("already enabled") {
                    throw SeedError(description: "UpdateTimeToLive \(table.name): \(Self.message(body))")
                }
            }
            progress("table \(table.name) ready")
        }
        var data = SeedData(profile: profile)
        let items = data.items()
        var written: [String: Int] = [:]
        var batch: [String: [JSONValue]] = [:]
        var count = 0
        func flush() async throws {
            guard !batch.isEmpty else { return }
            try await write(batch)
            batch = [:]
        }
        for (table, item) in items {
            batch[table, default: []].append(.object(["PutRequest": .object(["Item": item.json])]))
            written[table, default: 0] += 1
            count += 1
            if batch.values.reduce(0, { $0 + $1.count }) == 25 { try await flush() }
            if count % 1_000 == 0 { progress("\(count)/\(items.count) items") }
        }
        try await flush()
        progress("\(items.count)/\(items.count) items")
        return written
    }

    /// One BatchWriteItem, and again for what comes back unprocessed, with backoff.
    func write(_ requests: [String: [JSONValue]]) async throws {
        var pending = requests.mapValues { JSONValue.array($0) }
        var delay = 0.05
        for _ in 0..<20 {
            let (status, body) = try await call("BatchWriteItem", .object(["RequestItems": .object(pending)]))
            guard status == 200 else { throw SeedError(description: "BatchWriteItem: \(Self.message(body))") }
            let unprocessed = body["UnprocessedItems"]?.objectValue ?? [:]
            if unprocessed.isEmpty { return }
            pending = unprocessed
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(delay * 2, 2)
        }
        throw SeedError(description: "BatchWriteItem: items still unprocessed after 20 attempts")
    }

    func waitUntilActive(_ table: String) async throws {
        for _ in 0..<120 {
            let (status, body) = try await call("DescribeTable", .object(["TableName": .string(table)]))
            if status == 200, body["Table"]?["TableStatus"]?.stringValue == "ACTIVE" { return }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        throw SeedError(description: "table \(table) did not become ACTIVE")
    }

    func call(_ operation: String, _ request: JSONValue) async throws -> (Int, JSONValue) {
        let response = try await store.send(
            TableStoreRequest(
                operation: Operation(family: .dynamoDB, name: operation), body: JSONWriter.bytes(request)))
        var buffer = response.body
        let json = (try? JSONParser.parse(buffer.readBytes(length: buffer.readableBytes) ?? [])) ?? .null
        return (response.status, json)
    }

    static func type(_ body: JSONValue) -> String { body["__type"]?.stringValue ?? "" }
    static func message(_ body: JSONValue) -> String {
        body["message"]?.stringValue ?? body["Message"]?.stringValue ?? "\(type(body))"
    }
}
