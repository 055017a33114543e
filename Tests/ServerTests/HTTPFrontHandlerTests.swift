import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Server

/// The HTTP front handler on an `EmbeddedChannel`: request parts in, response parts out, no
/// sockets. What the e2e tests see from outside (keep-alive after a refused body, answers in
/// order, garbage closes only its connection) is decided here.
struct HTTPFrontHandlerTests {
    /// Answers at once, on the loop, with the request's body length; refusals say so.
    struct EchoResponder: HTTPResponder {
        func respond(to request: ProxyHTTPRequest) async -> ProxyHTTPResponse { Self.answer(request) }

        func respond(to request: ProxyHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxyHTTPResponse> {
            eventLoop.makeSucceededFuture(Self.answer(request))
        }

        static func answer(_ request: ProxyHTTPRequest) -> ProxyHTTPResponse {
            ProxyHTTPResponse(
                status: .ok, headers: HTTPHeaders([("x-uri", request.uri)]),
                body: ByteBuffer(string: "got \(request.body.count)"))
        }

        func respondTooLarge(limit: Int) -> ProxyHTTPResponse {
            ProxyHTTPResponse(
                status: .payloadTooLarge, headers: HTTPHeaders(), body: ByteBuffer(string: "over \(limit)"))
        }
    }

    func channel(limit: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            HTTPFrontHandler(responder: EchoResponder(), maximumBodyBytes: limit))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func head(_ uri: String = "/", version: HTTPVersion = .http1_1, _ headers: [(String, String)] = [])
        -> HTTPServerRequestPart
    {
        .head(HTTPRequestHead(version: version, method: .POST, uri: uri, headers: HTTPHeaders(headers)))
    }

    /// The next whole response written: status, headers, body.
    func response(_ channel: EmbeddedChannel) throws -> (HTTPResponseStatus, HTTPHeaders, String)? {
        channel.embeddedEventLoop.run()
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        var body = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .body(.byteBuffer(let buffer)): body += String(buffer: buffer)
            case .end: return (head.status, head.headers, body)
            default: break
            }
        }
        return nil
    }

    @Test func aRequestIsAnsweredWithItsLengthAndTheConnectionStaysOpen() throws {
        let channel = try channel()
        try channel.writeInbound(head("/a", [("content-length", "5")]))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "hello")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (status, headers, body) = try #require(try response(channel))
        #expect(status == .ok && body == "got 5" && headers.first(name: "content-length") == "5")
        #expect(headers.first(name: "connection") == nil && channel.isActive)
        // the next request on the same connection
        try channel.writeInbound(head("/b"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try response(channel)?.1.first(name: "x-uri") == "/b")
        _ = try channel.finish()
    }

    @Test func aDeclaredOversizedBodyIsDiscardedAndRefusedAfterItEnds() throws {
        let channel = try channel(limit: 16)
        try channel.writeInbound(head("/", [("content-length", "40")]))
        #expect(try response(channel) == nil)  // nothing before the request has ended
        for _ in 0..<4 { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "0123456789"))) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (status, _, body) = try #require(try response(channel))
        #expect(status == .payloadTooLarge && body == "over 16")
        #expect(channel.isActive)  // the client keeps its connection
        try channel.writeInbound(head("/", [("content-length", "2")]))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "ok")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try response(channel)?.2 == "got 2")
        _ = try channel.finish()
    }

    @Test func aChunkedBodyIsCountedAsItArrives() throws {
        let channel = try channel(limit: 16)
        try channel.writeInbound(head("/", [("transfer-encoding", "chunked")]))
        for _ in 0..<3 { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "0123456789"))) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try response(channel)?.0 == .payloadTooLarge)
        _ = try channel.finish()
    }

    @Test func withoutKeepAliveTheAnswerSaysCloseAndTheConnectionCloses() throws {
        let channel = try channel()
        try channel.writeInbound(head(version: .http1_0))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (_, headers, _) = try #require(try response(channel))
        #expect(headers.first(name: "connection") == "close")
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test func partsOutOfOrderCloseTheConnection() throws {
        let channel = try channel()
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "no head")))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test func aPeerThatStopsSendingWhileIdleIsClosed() throws {
        let channel = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
