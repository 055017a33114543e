import Cache
import DynamoModel
import Foundation
import TableStore

/// Reads one table's stream and invalidates the cache for every record, so writes that bypass
/// the proxy (other services, the console, TTL expiry) leave nothing stale for longer than the
/// stream's lag.
///
/// First start on a stream (or a lost checkpoint): LATEST iterators first, then the table's
/// cached entries are dropped, so anything cached before is gone and anything after is covered.
/// After that, each shard resumes after its checkpoint; shards found later start at
/// TRIM_HORIZON; a closed shard read to its end hands over to its children.
final class TableStreamConsumer: Sendable {
    let table: String
    let store: any TableStore
    let cache: ItemCache
    let checkpoints: Checkpoints
    let schema: @Sendable (String) async -> TableKeySchema?
    let stats: ChangeStreamStats
    let settings: ChangeStreamSettings

    init(
        table: String, store: any TableStore, cache: ItemCache, checkpoints: Checkpoints,
        schema: @escaping @Sendable (String) async -> TableKeySchema?, stats: ChangeStreamStats,
        settings: ChangeStreamSettings
    ) {
        self.table = table
        self.store = store
        self.cache = cache
        self.checkpoints = checkpoints
        self.schema = schema
        self.stats = stats
        self.settings = settings
    }

    /// One stream being read: its lineage, iterators and checkpoints (owned by the run loop).
    struct Reading {
        var arn: String
        var lineage = ShardLineage()
        var iterators: [String: String] = [:]
        var checkpoints: [String: String] = [:]
        var lastDescribe = Date.distantPast
    }

    /// Reads until `keepGoing` says stop (the lease was lost, or the proxy is stopping),
    /// performing what the `StateMachine` asks.
    func run(keepGoing: @Sendable () -> Bool) async {
        var machine = StateMachine(settings: settings)
        var reading: Reading?
        var action = machine.start()
        while keepGoing() && !Task.isCancelled {
            do {
                switch action {
                case .describeTable(let delay):
                    if delay > 0 {
                        stats.update(table) { $0.pollIntervalMilliseconds = delay }
                        try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000))
                    }
                    action = machine.described(latestStream: try await latestStream())
                case .startReading(let arn):
                    let started = try await start(arn)
                    reading = started
                    action = machine.started(resumed: !started.checkpoints.isEmpty)
                case .readShards:
                    guard var current = reading else {
                        preconditionFailure("stream consumer reading shards before it started")
                    }
                    let progressed = try await step(&current)
                    reading = current
                    action = machine.shardsRead(progressed: progressed)
                case .dropCache(let delay):
                    reading = nil
                    await drop()
                    action = .describeTable(afterMilliseconds: delay)
                case .dropCacheThenReadShards:
                    await drop()
                    action = .readShards
                }
            } catch is StreamGone {
                action = machine.streamGone()
            } catch {
                action = machine.failed()
            }
            let name = machine.name
            let arn = reading?.arn
            stats.update(table) {
                $0.state = name
                if let arn { $0.streamArn = arn }
            }
        }
    }

    struct StreamGone: Error {}

    func drop() async {
        await cache.invalidateTable(table)
        stats.update(table) { $0.drops += 1 }
    }

    // MARK: Discovery

    func latestStream() async throws -> String? {
        let answer: JSONValue
        do {
            answer = try await call(.dynamoDB, "DescribeTable", ["TableName": .string(table)])
        } catch is StreamGone {
            return nil  // no such table
        }
        guard let description = answer["Table"], description["StreamSpecification"]?["StreamEnabled"] == .bool(true)
        else { return nil }
        return description["LatestStreamArn"]?.stringValue
    }

    /// Loads the stream's checkpoints and lists its shards. Without checkpoints (a first start,
    /// or lost ones) every open shard starts at LATEST, and the state machine then drops the
    /// table's cached entries: anything cached before is gone, anything after is covered.
    func start(_ arn: String) async throws -> Reading {
        var reading = Reading(arn: arn)
        reading.checkpoints = (try? await checkpoints.load(arn)) ?? [:]
        try await describe(&reading, initial: true)
        if reading.checkpoints.isEmpty {
            for id in reading.lineage.order {
                if reading.lineage.readable.contains(id), let iterator = try await iterator(arn, id, "LATEST") {
                    reading.iterators[id] = iterator
                }
            }
        }
        return reading
    }

    /// Lists the shards (paginated); closed shards with no checkpoint at a first start are
    /// history the dropped cache no longer needs.
    func describe(_ reading: inout Reading, initial: Bool) async throws {
        var listed: [(id: String, parent: String?)] = []
        var closed: Set<String> = []
        var start: String?
        repeat {
            var request: [String: JSONValue] = ["StreamArn": .string(reading.arn)]
            if let start { request["ExclusiveStartShardId"] = .string(start) }
            let answer = try await call(.streams, "DescribeStream", request)
            for shard in answer["StreamDescription"]?["Shards"]?.arrayValue ?? [] {
                guard let id = shard["ShardId"]?.stringValue else { continue }
                listed.append((id, shard["ParentShardId"]?.stringValue))
                if shard["SequenceNumberRange"]?["EndingSequenceNumber"] != nil { closed.insert(id) }
            }
            start = answer["StreamDescription"]?["LastEvaluatedShardId"]?.stringValue
        } while start != nil
        reading.lineage.learn(listed)
        reading.lineage.forget(except: Set(listed.map(\.id)))
        for (id, value) in reading.checkpoints where value == "done" { reading.lineage.finished(id) }
        if initial && reading.checkpoints.isEmpty {
            for id in closed { reading.lineage.finished(id) }
        }
        reading.lastDescribe = Date()
        stats.update(table) { $0.shards = listed.count }
    }

    // MARK: Reading

    /// Reads every readable shard once; true when anything came.
    func step(_ reading: inout Reading) async throws -> Bool {
        if Date().timeIntervalSince(reading.lastDescribe) * 1000 >= settings.describeIntervalMilliseconds
            || reading.lineage.readable.isEmpty
        {
            try await describe(&reading, initial: false)
        }
        var progressed = false
        for id in reading.lineage.readable {
            progressed = try await poll(&reading, id) || progressed
        }
        return progressed
    }

    func poll(_ reading: inout Reading, _ shard: String) async throws -> Bool {
        if reading.iterators[shard] == nil {
            let checkpoint = reading.checkpoints[shard]
            reading.iterators[shard] = try await iterator(
                reading.arn, shard, checkpoint == nil ? "TRIM_HORIZON" : "AFTER_SEQUENCE_NUMBER", after: checkpoint)
        }
        guard let current = reading.iterators[shard] else { return false }
        let answer: JSONValue
        do {
            answer = try await call(
                .streams, "GetRecords", ["ShardIterator": .string(current), "Limit": .number("1000")])
        } catch let error as StreamError where error.type == "ExpiredIteratorException" {
            reading.iterators[shard] = nil  // a new one from the checkpoint
            stats.update(table) { $0.iteratorRenewals += 1 }
            return true
        } catch let error as StreamError where error.type == "TrimmedDataAccessException" {
            // Records were lost to retention: what they would have invalidated is unknown.
            await drop()
            reading.checkpoints[shard] = nil
            reading.iterators[shard] = try await iterator(reading.arn, shard, "TRIM_HORIZON")
            return true
        }
        let records = answer["Records"]?.arrayValue ?? []
        if !records.isEmpty { await invalidate(records) }
        // A checkpoint never passes a record whose invalidation has not reached Redis: while
        // one is only queued, the position moves in memory only, and a restart reads it again.
        let saveable = await cache.invalidationsDelivered()
        if let last = records.last?["dynamodb"]?["SequenceNumber"]?.stringValue {
            reading.checkpoints[shard] = last
            if saveable { try? await checkpoints.save(reading.arn, shard: shard, value: last) }
        }
        if let next = answer["NextShardIterator"]?.stringValue {
            reading.iterators[shard] = next
        } else {
            reading.iterators[shard] = nil
            reading.lineage.finished(shard)
            reading.checkpoints[shard] = "done"
            if saveable { try? await checkpoints.save(reading.arn, shard: shard, value: "done") }
            return true
        }
        return !records.isEmpty
    }

    func invalidate(_ records: [JSONValue]) async {
        let writes = records.compactMap(StreamRecordInvalidation.write)
        if let schema = await schema(table) {
            await cache.invalidate(table: table, writes: writes, schema: schema)
        } else {
            await cache.invalidateTable(table)
        }
        let now = Int64(Date().timeIntervalSince1970)
        let newest = records.compactMap { record -> Int64? in
            guard case .number(let text)? = record["dynamodb"]?["ApproximateCreationDateTime"] else { return nil }
            return Double(text).map { Int64($0) }
        }.max()
        stats.update(table) { t in
            t.recordsProcessed += records.count
            t.invalidations += writes.count
            if let newest {
                let age = max(0, now - newest)
                t.lastRecordAgeSeconds = age
                t.maxRecordAgeSeconds = max(t.maxRecordAgeSeconds, age)
            }
        }
    }

    func iterator(_ arn: String, _ shard: String, _ type: String, after: String? = nil) async throws -> String? {
        var request: [String: JSONValue] = [
            "StreamArn": .string(arn), "ShardId": .string(shard), "ShardIteratorType": .string(type),
        ]
        if let after { request["SequenceNumber"] = .string(after) }
        do {
            return try await call(.streams, "GetShardIterator", request)["ShardIterator"]?.stringValue
        } catch let error as StreamError where error.type == "TrimmedDataAccessException" {
            await drop()
            return try await call(
                .streams, "GetShardIterator",
                ["StreamArn": .string(arn), "ShardId": .string(shard), "ShardIteratorType": .string("TRIM_HORIZON")]
            )["ShardIterator"]?.stringValue
        }
    }

    /// A Streams or DynamoDB error answer, by its `__type` (the part after `#`).
    struct StreamError: Error {
        var type: String
        var status: Int
    }

    func call(_ family: APIFamily, _ name: String, _ request: [String: JSONValue]) async throws -> JSONValue {
        let response = try await store.send(
            TableStoreRequest(
                operation: Operation(family: family, name: name), body: JSONWriter.bytes(.object(request))))
        var buffer = response.body
        let json = (try? JSONParser.parse(buffer.readBytes(length: buffer.readableBytes) ?? [])) ?? .null
        guard response.status == 200 else {
            let type = String(json["__type"]?.stringValue?.split(separator: "#").last ?? "Unknown")
            if type == "ResourceNotFoundException" { throw StreamGone() }
            throw StreamError(type: type, status: response.status)
        }
        return json
    }
}
