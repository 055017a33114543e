import DynamoModel
import Foundation
import Synchronization

/// Runs the coherence check beside a load run: writers through the proxy and straight to the
/// table store, readers through the proxy, on a table of its own (`LoadCoherence`, created at the
/// table store with a stream, so the proxy's change-stream consumer follows it).
public final class CoherenceChecker: Sendable {
    public struct Settings: Sendable, Equatable {
        public var table = "LoadCoherence"
        public var keys = 64
        public var writers = 2
        public var readers = 2
        /// Share of writes sent through the proxy (the rest go to the table store directly).
        public var proxyShare = 0.5
        /// Pause between one writer's writes, so the check does not swamp the run it watches.
        public var writePauseMs = 20
        /// Pause between one reader's reads.
        public var readPauseMs = 5
        public var boundMs = 1_000.0
        /// After the keys are first read through the proxy: time for its stream consumer to start.
        public var settleSeconds = 3.0

        public init() {}
    }

    let proxy: LoadClient
    let direct: LoadClient
    public let settings: Settings
    let ledger: Mutex<CoherenceLedger>
    let errors = Mutex((writes: 0, reads: 0))
    let stopped = Atomic<Bool>(false)

    /// Ends `run` early (a load run bounded by a request count rather than a duration).
    public func stop() { stopped.store(true, ordering: .relaxed) }
    func running(_ deadline: UInt64) -> Bool { Clock.nanos() < deadline && !stopped.load(ordering: .relaxed) }

    public init(proxy: LoadClient, direct: LoadClient, settings: Settings) {
        self.proxy = proxy
        self.direct = direct
        self.settings = settings
        ledger = Mutex(CoherenceLedger(keys: settings.keys))
    }

    func key(_ k: Int) -> JSONValue { .object(["pk": .object(["S": .string("coherence-" + String(k).leftPad(5))])]) }

    func call(_ client: LoadClient, _ operation: String, _ body: JSONValue) async throws -> (Int, JSONValue) {
        let response = try await client.send(operation: operation, body: JSONWriter.bytes(body))
        return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
    }

    /// Creates the table (kept if it exists), writes version 0 of every key at the table store,
    /// reads each once through the proxy, and waits for the stream consumer to settle.
    public func prepare() async throws {
        let create: JSONValue = .object([
            "TableName": .string(settings.table),
            "KeySchema": .array([.object(["AttributeName": .string("pk"), "KeyType": .string("HASH")])]),
            "AttributeDefinitions": .array([.object(["AttributeName": .string("pk"), "AttributeType": .string("S")])]),
            "BillingMode": .string("PAY_PER_REQUEST"),
            "StreamSpecification": .object([
                "StreamEnabled": .bool(true), "StreamViewType": .string("NEW_AND_OLD_IMAGES"),
            ]),
        ])
        let (status, body) = try await call(direct, "CreateTable", create)
        if status != 200 && !(body["__type"]?.stringValue ?? "").hasSuffix("ResourceInUseException") {
            throw ScenarioError("coherence: CreateTable \(settings.table): \(body)")
        }
        for _ in 0..<120 {
            let (s, b) = try await call(direct, "DescribeTable", .object(["TableName": .string(settings.table)]))
            if s == 200, b["Table"]?["TableStatus"]?.stringValue == "ACTIVE" { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        for k in 0..<settings.keys {
            var item = key(k).objectValue!
            item["version"] = .object(["N": .string("0")])
            let (s, b) = try await call(
                direct, "PutItem", .object(["TableName": .string(settings.table), "Item": .object(item)]))
            guard s == 200 else { throw ScenarioError("coherence: PutItem: \(b)") }
        }
        for k in 0..<settings.keys {
            _ = try await call(proxy, "GetItem", .object(["TableName": .string(settings.table), "Key": key(k)]))
        }
        try await Task.sleep(nanoseconds: UInt64(settings.settleSeconds * 1e9))
    }

    /// Writes and reads until `deadline` (monotonic nanoseconds), then judges every read.
    public func run(until deadline: UInt64, seed: UInt64 = 7) async -> CoherenceLedger.Verdict {
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<settings.writers {
                group.addTask { await self.writer(w, deadline: deadline, seed: seed) }
            }
            for r in 0..<settings.readers {
                group.addTask { await self.reader(r, deadline: deadline, seed: seed) }
            }
        }
        var verdict = ledger.withLock { $0.verdict(boundNanos: UInt64(settings.boundMs * 1e6)) }
        let e = errors.withLock { $0 }
        verdict.writeErrors = e.writes
        verdict.readErrors = e.reads
        return verdict
    }

    func writer(_ w: Int, deadline: UInt64, seed: UInt64) async {
        var random = SplitMix64(seed: seed &+ UInt64(w) &* 31)
        var versions = [Int: Int]()
        let owned = Array(stride(from: w, to: settings.keys, by: settings.writers))
        guard !owned.isEmpty else { return }
        var i = 0
        while running(deadline) {
            let k = owned[i % owned.count]
            i += 1
            let version = (versions[k] ?? 0) + 1
            versions[k] = version
            let viaProxy = Double(random.next() >> 11) / Double(1 << 53) < settings.proxyShare
            var item = key(k).objectValue!
            item["version"] = .object(["N": .string(String(version))])
            item["via"] = .object(["S": .string(viaProxy ? "proxy" : "direct")])
            let request: JSONValue = .object(["TableName": .string(settings.table), "Item": .object(item)])
            if let (status, _) = try? await call(viaProxy ? proxy : direct, "PutItem", request), status == 200 {
                let now = Clock.nanos()
                ledger.withLock { $0.acknowledged(key: k, version: version, nanos: now, viaProxy: viaProxy) }
            } else {
                errors.withLock { $0.writes += 1 }
            }
            if settings.writePauseMs > 0 {
                try? await Task.sleep(nanoseconds: UInt64(settings.writePauseMs) * 1_000_000)
            }
        }
    }

    func reader(_ r: Int, deadline: UInt64, seed: UInt64) async {
        var random = SplitMix64(seed: seed &+ 1_000 &+ UInt64(r))
        while running(deadline) {
            let k = Int(random.next() % UInt64(settings.keys))
            let start = Clock.nanos()
            let request: JSONValue = .object(["TableName": .string(settings.table), "Key": key(k)])
            guard let (status, body) = try? await call(proxy, "GetItem", request), status == 200 else {
                errors.withLock { $0.reads += 1 }
                continue
            }
            let version = body["Item"]?["version"]?["N"]?.stringValue.flatMap { Int($0) } ?? -1
            ledger.withLock { $0.read(CoherenceLedger.Read(key: k, startNanos: start, version: version)) }
            if settings.readPauseMs > 0 { try? await Task.sleep(nanoseconds: UInt64(settings.readPauseMs) * 1_000_000) }
        }
    }
}
