import Cache
import DynamoModel
import NIOConcurrencyHelpers
import NIOCore
import TableStore

/// Joins concurrent GetItem misses for different keys of one table into one BatchGetItem
/// (at most 100 keys) within a short window: fewer calls to the table store when many keys
/// miss at once (a cold start, a flush). A miss while no read of its table is in flight goes
/// out at once, so an idle proxy pays no window; only misses arriving behind one wait for it.
///
/// Only whole-item reads are joined (a projection might drop the key attributes the answer is
/// matched by); a key left unprocessed, or a batch that fails, is read again on its own, so the
/// client sees what its own GetItem would have seen.
final class MissBatcher: Sendable {
    typealias Waiter = CheckedContinuation<UpstreamAnswer, any Error>

    struct Group: Hashable {
        var table: String
        var consistent: Bool
    }

    let store: any TableStore
    let window: TimeAmount
    let limit = 100
    let eventLoop: any EventLoop
    let pending = NIOLockedValueBox<(batches: [Group: MissBatch<Waiter>], inFlight: [Group: Int])>(([:], [:]))
    let counters = NIOLockedValueBox<(batches: Int, keys: Int, single: Int)>((0, 0, 0))

    init(store: any TableStore, window: TimeAmount, eventLoop: any EventLoop) {
        self.store = store
        self.window = window
        self.eventLoop = eventLoop
    }

    func get(table: String, key: Item, consistent: Bool) async throws -> UpstreamAnswer {
        let group = Group(table: table, consistent: consistent)
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let (alone, first, full) = pending.withLockedValue { pending -> (Bool, Bool, Bool) in
                var batch = pending.batches[group] ?? MissBatch()
                let first = batch.isEmpty
                let full = batch.add(key: key, waiter: waiter, limit: limit)
                if first && pending.inFlight[group, default: 0] == 0 {
                    pending.inFlight[group, default: 0] += 1
                    return (true, true, false)  // idle: no reason to wait
                }
                pending.batches[group] = batch
                return (false, first, full)
            }
            if alone {
                var batch = MissBatch<Waiter>()
                _ = batch.add(key: key, waiter: waiter, limit: limit)
                let slot = batch.slots[0]
                Task {
                    self.counters.withLockedValue { $0.single += 1 }
                    await self.answerAlone(slot, group)
                    self.pending.withLockedValue { $0.inFlight[group, default: 1] -= 1 }
                }
            } else if full {
                Task { await self.flush(group) }
            } else if first {
                eventLoop.scheduleTask(in: window) { Task { await self.flush(group) } }
            }
        }
    }

    func flush(_ group: Group) async {
        guard
            let batch = pending.withLockedValue({ pending -> MissBatch<Waiter>? in
                guard let batch = pending.batches.removeValue(forKey: group) else { return nil }
                pending.inFlight[group, default: 0] += 1
                return batch
            })
        else { return }
        defer { pending.withLockedValue { $0.inFlight[group, default: 1] -= 1 } }
        let slots = batch.slots
        if slots.count == 1 {
            counters.withLockedValue { $0.single += 1 }
            await answerAlone(slots[0], group)
            return
        }
        counters.withLockedValue {
            $0.batches += 1
            $0.keys += slots.count
        }
        var spec: [String: JSONValue] = ["Keys": .array(slots.map { $0.key.json })]
        if group.consistent { spec["ConsistentRead"] = .bool(true) }
        let request = JSONValue.object(["RequestItems": .object([group.table: .object(spec)])])
        guard
            let response = try? await store.send(
                TableStoreRequest(operation: Self.batchGetItem, body: JSONWriter.bytes(request))),
            response.status == 200,
            let json = try? JSONParser.parse(Self.bytes(response.body))
        else {
            for slot in slots { await answerAlone(slot, group) }  // each as its own GetItem would
            return
        }
        let found = MissBatch<Waiter>.match(json["Responses"]?[group.table]?.arrayValue ?? [], to: slots)
        var unprocessed: Set<CanonicalBytes> = []
        for key in json["UnprocessedKeys"]?[group.table]?["Keys"]?.arrayValue ?? [] {
            if let item = try? Item.fromJSON(key, parameter: "Keys") { unprocessed.insert(CanonicalBytes(key: item)) }
        }
        for slot in slots {
            let canonical = CanonicalBytes(key: slot.key)
            if unprocessed.contains(canonical) {
                await answerAlone(slot, group)
                continue
            }
            let body = JSONWriter.bytes(.object(found[canonical].map { ["Item": $0] } ?? [:]))
            let answer = UpstreamAnswer(
                status: 200, headers: [("content-type", "application/x-amz-json-1.0")], body: body)
            for waiter in slot.waiters { waiter.resume(returning: answer) }
        }
    }

    /// One key read by its own GetItem, its answer (or error) shared by its waiters.
    func answerAlone(_ slot: MissBatch<Waiter>.Slot, _ group: Group) async {
        var request: [String: JSONValue] = ["TableName": .string(group.table), "Key": slot.key.json]
        if group.consistent { request["ConsistentRead"] = .bool(true) }
        do {
            let response = try await store.send(
                TableStoreRequest(operation: Self.getItem, body: JSONWriter.bytes(.object(request))))
            let answer = UpstreamAnswer(
                status: response.status, headers: response.headers, body: Self.bytes(response.body))
            for waiter in slot.waiters { waiter.resume(returning: answer) }
        } catch {
            for waiter in slot.waiters { waiter.resume(throwing: error) }
        }
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] {
        var buffer = buffer
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    static let getItem = Operation(family: .dynamoDB, name: "GetItem")
    static let batchGetItem = Operation(family: .dynamoDB, name: "BatchGetItem")

    var statsJSON: JSONValue {
        let c = counters.withLockedValue { $0 }
        return .object([
            "windowUs": .number(String(window.nanoseconds / 1_000)), "batches": .number(String(c.batches)),
            "batchedKeys": .number(String(c.keys)), "alone": .number(String(c.single)),
        ])
    }
}
