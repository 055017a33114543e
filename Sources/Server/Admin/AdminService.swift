import DynamoModel
import NIOCore
import NIOHTTP1

/// The admin listener's routes: `/health` and `/stats` (JSON). Few enough to route by hand;
/// later issues add `/metrics` and `/dashboard` here.
public final class AdminService: HTTPResponder {
    let upstreamDescription: String
    let stats: @Sendable () -> JSONValue

    public init(upstreamDescription: String, stats: @escaping @Sendable () -> JSONValue = { .object([:]) }) {
        self.upstreamDescription = upstreamDescription
        self.stats = stats
    }

    public func respond(to request: ProxyHTTPRequest) async -> ProxyHTTPResponse {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        switch (request.method, path) {
        case (.GET, "/health"), (.HEAD, "/health"):
            return json(.ok, .object(["status": .string("ok"), "upstream": .string(upstreamDescription)]))
        case (.GET, "/stats"):
            return json(.ok, stats())
        case (_, "/health"), (_, "/stats"):
            return json(.methodNotAllowed, .object(["error": .string("use GET")]))
        default:
            return json(.notFound, .object(["error": .string("no such admin endpoint: \(path)")]))
        }
    }

    public func respondTooLarge(limit: Int) -> ProxyHTTPResponse {
        json(.payloadTooLarge, .object(["error": .string("request body over \(limit) bytes")]))
    }

    func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> ProxyHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "cache-control", value: "no-store")
        return ProxyHTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: JSONWriter.bytes(value)))
    }
}
