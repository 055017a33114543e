import DynamoModel
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TableStore

/// A write's answer, as the client's own PutItem or DeleteItem would have had it.
public struct WriteAnswer: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A successful PutItem/DeleteItem without ReturnValues: `{}`, a fresh request id, its CRC.
    static func written() -> WriteAnswer {
        let body = Array("{}".utf8)
        return WriteAnswer(
            status: 200,
            headers: [
                ("content-type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", RequestID.make()),
                ("x-amz-crc32", String(CRC32.checksum(body))),
            ], body: body)
    }

    init(_ response: TableStoreResponse) {
        var buffer = response.body
        self.init(
            status: response.status, headers: response.headers,
            body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }
}

/// Fewer, fuller upstream writes: unconditional PutItem/DeleteItem from any clients queue per
/// table and go out as BatchWriteItem (≤ 25 items, 16 MB) when a batch is full or its window
/// passes; each client is answered when its own item is written. UnprocessedItems are sent again
/// with full-jitter backoff until the retry deadline, then answered with DynamoDB's throttling
/// error; a batch the table store refuses falls back to one request per client, so each gets
/// its own answer. Writes that cannot be batched pass through `ordered`, which keeps them in
/// order with queued writes of the same keys. `invalidate` runs before any client of a write is
/// answered, also when the outcome is unknown.
public final class WritePipeline: Sendable {
    typealias Waiter = CheckedContinuation<WriteAnswer, any Error>

    struct TableState: Sendable {
        var queue = WriteQueue<Waiter>()
        var flushScheduled = false
        var inFlight = 0
    }

    struct State: Sendable {
        var tables: [String: TableState] = [:]
        var sequence: UInt64 = 0
        /// Pass-through writes waiting for earlier writes of their keys, by sequence.
        var barrierWaiters:
            [UInt64: (tables: Set<String>, ready: Set<String>, continuation: CheckedContinuation<Void, Never>)] = [:]
    }

    public let policies: WritePolicies
    public let stats = WriteStats()
    let store: any TableStore
    let eventLoop: any EventLoop
    let deadlineSeconds: Double
    let invalidate: @Sendable (_ table: String, _ writes: [PendingWrite]) async -> Void
    let state = NIOLockedValueBox(State())
    static let maxItems = 25
    static let maxBytes = 16 * 1024 * 1024
    static let maxConcurrentBatches = 4

    public init(
        store: any TableStore, policies: WritePolicies, eventLoop: any EventLoop, deadlineSeconds: Double,
        invalidate: @escaping @Sendable (_ table: String, _ writes: [PendingWrite]) async -> Void
    ) {
        self.store = store
        self.policies = policies
        self.eventLoop = eventLoop
        self.deadlineSeconds = deadlineSeconds
        self.invalidate = invalidate
    }

    // MARK: Batched writes

    public func submit(_ write: PendingWrite) async throws -> WriteAnswer {
        let settings = policies.settings(for: write.table)
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let (flushNow, schedule) = state.withLockedValue { state -> (Bool, Bool) in
                state.sequence += 1
                var table = state.tables[write.table] ?? TableState()
                let coalesced = table.queue.enqueue(
                    write, waiter: waiter, sequence: state.sequence, coalesce: settings.coalesce)
                let idle = settings.sendWhenIdle && table.inFlight == 0
                let flushNow = idle || table.queue.sendable >= Self.maxItems
                let schedule = !flushNow && !table.flushScheduled
                if schedule { table.flushScheduled = true }
                state.tables[write.table] = table
                return (flushNow, schedule)
            }
            stats.update {
                $0.clientWrites += 1
                $0.batchedWrites += 1
            }
            if flushNow {
                pump(write.table)
            } else if schedule {
                let window = TimeAmount.nanoseconds(Int64(settings.windowMilliseconds * 1_000_000))
                eventLoop.scheduleTask(in: window) {
                    self.state.withLockedValue { $0.tables[write.table]?.flushScheduled = false }
                    self.pump(write.table)
                }
            }
        }
    }

    func coalescedCount(_ batch: [WriteQueue<Waiter>.Entry]) -> Int { batch.reduce(0) { $0 + $1.waiters.count - 1 } }

    /// Sends what can go now, up to the concurrency limit; called on full queues, window ends and
    /// every completion.
    func pump(_ table: String) {
        while true {
            let batch = state.withLockedValue { state -> [WriteQueue<Waiter>.Entry] in
                guard var t = state.tables[table], t.inFlight < Self.maxConcurrentBatches else { return [] }
                let batch = t.queue.nextBatch(maxItems: Self.maxItems, maxBytes: Self.maxBytes)
                if !batch.isEmpty { t.inFlight += 1 }
                state.tables[table] = t
                return batch
            }
            guard !batch.isEmpty else { return }
            stats.update { $0.coalesced += coalescedCount(batch) }
            Task {
                await self.send(batch, table: table)
                self.state.withLockedValue { state in
                    state.tables[table]?.queue.release(batch.map(\.write.canonicalKey))
                    state.tables[table]?.inFlight -= 1
                }
                self.releaseBarriers([table])
                self.pump(table)
            }
        }
    }

    func send(_ batch: [WriteQueue<Waiter>.Entry], table: String) async {
        var pending = batch
        let start = Date()
        var attempt = 0
        while !pending.isEmpty {
            let request = JSONValue.object(["RequestItems": .object([table: .array(pending.map(\.write.entry))])])
            stats.recordBatch(items: pending.count)
            let response: TableStoreResponse
            do {
                response = try await store.send(
                    TableStoreRequest(operation: Self.batchWriteItem, body: JSONWriter.bytes(request)))
            } catch {
                // Outcome unknown: invalidate as if written, and say what the table store said.
                await invalidate(table, pending.map(\.write))
                for entry in pending { for waiter in entry.waiters { waiter.resume(throwing: error) } }
                return
            }
            let answer = WriteAnswer(response)
            // An earlier attempt may have been applied: every item of the batch as if written.
            if response.status >= 500 || response.outcomeUnknown { await invalidate(table, pending.map(\.write)) }
            if response.status >= 500 {
                resume(pending, with: answer)
                return
            }
            let unprocessed: Set<CanonicalBytes>
            if response.status == 200, let json = try? JSONParser.parse(answer.body) {
                unprocessed = Self.unprocessedKeys(json, table: table, keyNames: Array(pending[0].write.key.keys))
            } else if Self.isThrottle(answer) {
                // Nothing fitted, even after the retry policy's attempts: all of it again, until
                // the deadline, as UnprocessedItems would be.
                unprocessed = Set(pending.map(\.write.canonicalKey))
            } else {
                await fallBack(pending)
                return
            }
            let done = pending.filter { !unprocessed.contains($0.write.canonicalKey) }
            if !done.isEmpty {
                await invalidate(table, done.map(\.write))
                for entry in done { for waiter in entry.waiters { waiter.resume(returning: .written()) } }
            }
            pending = pending.filter { unprocessed.contains($0.write.canonicalKey) }
            guard !pending.isEmpty else { return }
            stats.update { $0.resubmits += pending.count }
            let elapsed = Date().timeIntervalSince(start)
            let delay = Double.random(in: 0...min(1.0, 0.025 * Double(1 << min(attempt, 10))))
            guard elapsed + delay <= deadlineSeconds else {
                stats.update { $0.deadlineExceeded += pending.count }
                resume(pending, with: Self.throttled(table))
                return
            }
            attempt += 1
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    func resume(_ entries: [WriteQueue<Waiter>.Entry], with answer: WriteAnswer) {
        for entry in entries { for waiter in entry.waiters { waiter.resume(returning: answer) } }
    }

    /// A batch the table store refused: each write sent alone, so each client gets its own answer.
    func fallBack(_ entries: [WriteQueue<Waiter>.Entry]) async {
        stats.update { $0.fallbacks += entries.count }
        for entry in entries {
            stats.update { $0.upstreamWriteRequests += 1 }
            do {
                let response = try await store.send(
                    TableStoreRequest(
                        operation: Operation(family: .dynamoDB, name: entry.write.operation), body: entry.write.body))
                if response.status < 300 || response.status >= 500 || response.outcomeUnknown {
                    await invalidate(entry.write.table, [entry.write])
                }
                for waiter in entry.waiters { waiter.resume(returning: WriteAnswer(response)) }
            } catch {
                await invalidate(entry.write.table, [entry.write])
                for waiter in entry.waiters { waiter.resume(throwing: error) }
            }
        }
    }

    static func unprocessedKeys(_ json: JSONValue, table: String, keyNames: [String]) -> Set<CanonicalBytes> {
        var out: Set<CanonicalBytes> = []
        for request in json["UnprocessedItems"]?[table]?.arrayValue ?? [] {
            guard let itemJSON = request["PutRequest"]?["Item"] ?? request["DeleteRequest"]?["Key"],
                let item = try? Item.fromJSON(itemJSON, parameter: "Item")
            else { continue }
            var key: Item = [:]
            for name in keyNames { key[name] = item[name] }
            out.insert(CanonicalBytes(key: key))
        }
        return out
    }

    static func isThrottle(_ answer: WriteAnswer) -> Bool {
        let text = String(decoding: answer.body.prefix(200), as: UTF8.self)
        return text.contains("ProvisionedThroughputExceeded") || text.contains("ThrottlingException")
            || text.contains("RequestLimitExceeded")
    }

    static func throttled(_ table: String) -> WriteAnswer {
        let error = DynamoError(
            status: 400, type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            message:
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
        )
        let body = error.body
        return WriteAnswer(
            status: 400,
            headers: [
                ("content-type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", RequestID.make()),
                ("x-amz-crc32", String(CRC32.checksum(body))),
            ], body: body)
    }

    static let batchWriteItem = Operation(family: .dynamoDB, name: "BatchWriteItem")

    // MARK: Writes that pass through

    /// Runs `body` (a write sent on its own) after every earlier queued or in-flight write of the
    /// same keys, and before any later one.
    public func ordered<T: Sendable>(
        _ keys: [String: [CanonicalBytes]], _ body: @Sendable () async throws -> T
    ) async rethrows -> T {
        stats.recordPassThrough()
        let tables = Set(keys.keys.filter { !(keys[$0]?.isEmpty ?? true) })
        guard !tables.isEmpty else { return try await body() }
        let sets = keys.mapValues { Set($0) }
        await withCheckedContinuation { continuation in
            // Registered with its waiter under one lock, so no release can miss it.
            state.withLockedValue { state in
                state.sequence += 1
                for table in tables {
                    var t = state.tables[table] ?? TableState()
                    t.queue.register(.init(sequence: state.sequence, keys: sets[table]!))
                    state.tables[table] = t
                }
                state.barrierWaiters[state.sequence] = (tables, [], continuation)
            }
            releaseBarriers(tables)
        }
        defer {
            state.withLockedValue { state in
                for table in tables { state.tables[table]?.queue.releaseHeld(Array(sets[table]!)) }
            }
            releaseBarriers(tables)
            for table in tables { pump(table) }
        }
        return try await body()
    }

    /// Wakes the pass-through writes whose keys are now free in every table they touch.
    func releaseBarriers(_ tables: Set<String>) {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            for table in tables {
                guard var t = state.tables[table] else { continue }
                for sequence in t.queue.runnableBarriers() {
                    guard var waiter = state.barrierWaiters[sequence] else { continue }
                    waiter.ready.insert(table)
                    if waiter.ready == waiter.tables {
                        state.barrierWaiters[sequence] = nil
                        ready.append(waiter.continuation)
                    } else {
                        state.barrierWaiters[sequence] = waiter
                    }
                }
                state.tables[table] = t
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
