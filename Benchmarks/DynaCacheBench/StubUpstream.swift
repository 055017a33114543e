import DynamoModel
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in table store that answers every POST at once with the same GetItem response and
/// a correct `x-amz-crc32`: the pass-through benchmark compares a client talking to it directly
/// with the same client talking to it through the proxy, so the difference is the proxy's cost.
enum StubUpstream {
    static func run(port: Int) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StubHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        print("stub upstream on \(channel.localAddress!)")
        try channel.closeFuture.wait()
    }
}

final class StubHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = JSONBenchmark.getItemResponse
    static let crc = String(CRC32.checksum(body))

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/x-amz-json-1.0")
        headers.add(name: "x-amzn-RequestId", value: "STUB0000000000000000000000000000000000000000000000000")
        headers.add(name: "x-amz-crc32", value: Self.crc)
        headers.add(name: "content-length", value: String(Self.body.count))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: Self.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
