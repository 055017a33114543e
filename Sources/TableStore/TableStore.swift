import DynamoModel
import NIOCore

/// One DynamoDB or DynamoDB Streams call: the operation and its JSON body as the client sent it.
public struct TableStoreRequest: Sendable {
    public var operation: Operation
    public var body: [UInt8]

    public init(operation: Operation, body: [UInt8]) {
        self.operation = operation
        self.body = body
    }
}

/// A table store's answer, as received: status, headers (`x-amz-crc32`, `x-amzn-RequestId`,
/// content type) and body bytes, which the proxy passes back without re-serializing.
public struct TableStoreResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: ByteBuffer
    /// An earlier attempt of this request timed out or failed with a 5xx (set by the retry
    /// policy): it may have been applied, whatever this answer says, so a write must be
    /// invalidated as for an unknown outcome.
    public var outcomeUnknown: Bool

    public init(
        status: Int, headers: [(name: String, value: String)], body: ByteBuffer, outcomeUnknown: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.outcomeUnknown = outcomeUnknown
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Where DynamoDB's data lives: real DynamoDB or any compatible endpoint (`RemoteTableStore`),
/// or later the embedded SQLite engine. Everything above this protocol — caches, write batching,
/// the change-stream consumer — is written against it, so each works with every store.
public protocol TableStore: Sendable {
    /// Sends one operation and returns the store's answer. DynamoDB errors (4xx/5xx with a
    /// `__type`) are answers, not thrown errors; a throw means no answer arrived.
    func send(_ request: TableStoreRequest) async throws -> TableStoreResponse

    /// Releases connections and threads.
    func shutdown() async throws
}

/// No answer from the table store: the request may or may not have been applied when
/// `requestSent` is true, which later retry logic must respect.
public struct TableStoreTransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var requestSent: Bool

    public init(message: String, requestSent: Bool) {
        self.message = message
        self.requestSent = requestSent
    }

    public var description: String { message }
}
