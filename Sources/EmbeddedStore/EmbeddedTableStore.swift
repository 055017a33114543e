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

    /// Opens (or creates) the store in `directory` (its file: `dynacache.sqlite3`).
    /// `itemCollectionLimitBytes`: the size one partition key's items may reach in a table with
    /// local secondary indexes (DynamoDB: 10 GB; tests shrink it).
    public init(
        directory: String, itemCollectionLimitBytes: Int = 10 * 1024 * 1024 * 1024,
        streams: StreamSettings = StreamSettings()
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("dynacache.sqlite3")
        let engine = try EmbeddedEngine(path: path)
        engine.itemCollectionLimitBytes = itemCollectionLimitBytes
        engine.streamSettings = streams
        self.engine = NIOLockedEngine(engine)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    public func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
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
        try await pool.shutdownGracefully()
    }
}

/// The engine behind a lock: the thread pool has one thread, but `sendSynchronously` may be
/// called from anywhere.
final class NIOLockedEngine: @unchecked Sendable {
    private let engine: EmbeddedEngine
    private let lock = NSLock()

    init(_ engine: EmbeddedEngine) { self.engine = engine }

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
