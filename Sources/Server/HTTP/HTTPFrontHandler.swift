import NIOCore
import NIOHTTP1

/// The per-connection HTTP/1 handler in front of a responder.
///
/// It sits behind NIO's `HTTPServerPipelineHandler`, which holds back a pipelined request until
/// the previous response has ended, so answers go out in request order. A body larger than the
/// limit is never buffered: the handler notices from `Content-Length` (or while counting a
/// chunked body), discards the rest as it arrives, and answers with the responder's refusal once
/// the request has ended, so the client reads the error instead of a reset connection.
final class HTTPFrontHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the connection is in its current request.
    enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        case discarding(HTTPRequestHead)
        case responding(keepAlive: Bool)
    }

    let responder: any HTTPResponder
    let maximumBodyBytes: Int
    var state = State.idle

    init(responder: any HTTPResponder, maximumBodyBytes: Int) {
        self.responder = responder
        self.maximumBodyBytes = maximumBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maximumBodyBytes {
                state = .discarding(head)
            } else {
                let capacity = min(head.headers.first(name: "content-length").flatMap(Int.init) ?? 0, maximumBodyBytes)
                state = .receiving(head, context.channel.allocator.buffer(capacity: capacity))
            }
        case (.body(var chunk), .receiving(let head, var buffer)):
            if buffer.readableBytes + chunk.readableBytes > maximumBodyBytes {
                state = .discarding(head)
            } else {
                state = .idle  // drop the reference so the append does not copy
                buffer.writeBuffer(&chunk)
                state = .receiving(head, buffer)
            }
        case (.body, .discarding):
            break
        case (.end, .receiving(let head, var buffer)):
            let body = buffer.readBytes(length: buffer.readableBytes) ?? []
            let request = ProxyHTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            state = .responding(keepAlive: head.isKeepAlive)
            dispatch(request, context: context)
        case (.end, .discarding(let head)):
            state = .responding(keepAlive: head.isKeepAlive)
            write(responder.respondTooLarge(limit: maximumBodyBytes), context: context)
        default:
            // The pipeline handler never delivers parts out of order; anything else is a
            // protocol violation by the peer.
            context.close(promise: nil)
        }
    }

    func dispatch(_ request: ProxyHTTPRequest, context: ChannelHandlerContext) {
        let future = responder.respond(to: request, on: context.eventLoop)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenSuccess { response in
            let (handler, context) = bound.value
            handler.write(response, context: context)
        }
    }

    func write(_ response: ProxyHTTPResponse, context: ChannelHandlerContext) {
        guard case .responding(let keepAlive) = state else { return }
        var headers = response.headers
        headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        state = .idle
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopBoundContext.value.close(promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, case .idle = state {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
