import NIOCore
import NIOHTTP1

/// A whole HTTP request as the front received it: the body is complete and within the limit.
public struct ProxyHTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: [UInt8]) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}

/// A whole HTTP response, written by the front with one flush.
public struct ProxyHTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Answers one complete request; the front handles framing, limits and ordering.
public protocol HTTPResponder: Sendable {
    func respond(to request: ProxyHTTPRequest) async -> ProxyHTTPResponse
    /// The same answer as a future on the connection's event loop. Responders with a path that
    /// can finish without leaving the loop (cache hits) override this; the default runs
    /// `respond(to:)` as a task.
    func respond(to request: ProxyHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxyHTTPResponse>
    /// The answer to a request whose body exceeded the front's limit; its body was discarded.
    func respondTooLarge(limit: Int) -> ProxyHTTPResponse
}

extension HTTPResponder {
    public func respond(to request: ProxyHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxyHTTPResponse>
    {
        let promise = eventLoop.makePromise(of: ProxyHTTPResponse.self)
        promise.completeWithTask { await self.respond(to: request) }
        return promise.futureResult
    }
}
