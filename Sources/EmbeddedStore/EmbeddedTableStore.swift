import DynamoModel
import Foundation
import NIOCore
import NIOPosix
import TableStore

/// DynaCache's built-in table store: DynamoDB's API on a SQLite file, for development, tests
/// and load tests — what DynamoDB Local is for Java users.
///
/// SQLite calls block, so they run on a thread of their own rather than on an event loop; one
/// thread serializes every operation, which also makes each one atomic.
public final class EmbeddedTableStore: TableStore {
    let engine: NIOLockedEngine
    let pool: NIOThreadPool
    let settings: EmbeddedStoreSettings
    let sweeper: Task<Void, Never>?

    /// Opens (or creates) the store in `directory` (its file: `dynacache.sqlite3`).
    public init(directory: String, settings: EmbeddedStoreSettings = EmbeddedStoreSettings()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("dynacache.sqlite3")
        let engine = try EmbeddedEngine(path: path)
        engine.itemCollectionLimitBytes = settings.itemCollectionLimitBytes
        engine.streamSettings = settings.streams
        engine.capacityBurstSeconds = settings.capacityBurstSeconds
        if settings.replicaLagMilliseconds > 0 {
            engine.replicaLagMilliseconds = Int64(settings.replicaLagMilliseconds)
            try engine.resetReplica()
        }
        let locked = NIOLockedEngine(engine)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        self.engine = locked
        self.pool = pool
        self.settings = settings
        let interval = settings.ttlSweepIntervalSeconds
        self.sweeper =
            interval > 0
            ? Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                    _ = try? await pool.runIfActive { locked.sweepExpiredItems() }
                }
            } : nil
    }

    /// The same with only the item-collection limit changed (tests of that limit).
    public convenience init(directory: String, itemCollectionLimitBytes: Int) throws {
        var settings = EmbeddedStoreSettings()
        settings.itemCollectionLimitBytes = itemCollectionLimitBytes
        try self.init(directory: directory, settings: settings)
    }

    public func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        if settings.latencyMilliseconds > 0 {
            let jitter = settings.latencyJitterMilliseconds
            let delay = settings.latencyMilliseconds + (jitter > 0 ? Double.random(in: -jitter...jitter) : 0)
            try await Task.sleep(nanoseconds: UInt64(max(0, delay) * 1e6))
        }
        let engine = self.engine
        return try await pool.runIfActive {
            engine.respond(request)
        }
    }

    /// Runs one operation on the caller's thread: for benchmarks and tests of the engine alone.
    public func sendSynchronously(_ request: TableStoreRequest) -> TableStoreResponse {
        engine.respond(request)
    }

    public func shutdown() async throws {
        sweeper?.cancel()
        try await pool.shutdownGracefully()
    }
}

/// The engine behind a lock: the thread pool has one thread, but `sendSynchronously` may be
/// called from anywhere.
final class NIOLockedEngine: @unchecked Sendable {
    private let engine: EmbeddedEngine
    private let lock = NSLock()

    init(_ engine: EmbeddedEngine) { self.engine = engine }

    /// One sweep of expired items (the TTL sweeper's tick).
    func sweepExpiredItems() {
        lock.lock()
        defer { lock.unlock() }
        _ = try? engine.sweepExpiredItems()
    }

    func respond(_ request: TableStoreRequest) -> TableStoreResponse {
        let result: EmbeddedEngine.Response
        switch Result(catching: { try JSONParser.parse(request.body) }) {
        case .success(let json):
            guard case .object = json else {
                result = EmbeddedEngine.errorResponse(.serialization("The request body must be a JSON object"))
                break
            }
            lock.lock()
            result = engine.handle(request.operation.name, json, streams: request.operation.family != .dynamoDB)
            lock.unlock()
        case .failure(let error):
            result = EmbeddedEngine.errorResponse(.serialization("Malformed JSON request body: \(error)"))
        }
        let body = JSONWriter.bytes(result.body)
        return TableStoreResponse(
            status: result.status,
            headers: [
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amzn-RequestId", RequestID.make()),
                ("x-amz-crc32", String(CRC32.checksum(body))),
            ],
            body: ByteBuffer(bytes: body)
        )
    }
}
