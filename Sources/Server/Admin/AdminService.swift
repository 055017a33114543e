import DynamoModel
import Foundation
import NIOCore
import NIOHTTP1

/// The admin listener's routes: `/health`, `/stats` (JSON), `/metrics` (Prometheus) and
/// `/dashboard` (one self-contained page that polls `/stats`). Few enough to route by hand.
///
/// With a token configured, everything but `/health` (which load balancers probe) needs it, as
/// `Authorization: Bearer <token>` or `?token=<token>` (so the dashboard can be opened in a
/// browser); the listener refuses a non-loopback address without one (configuration check).
public final class AdminService: HTTPResponder {
    let upstreamDescription: String
    let stats: @Sendable () -> JSONValue
    let metrics: MetricsExporter?
    let token: String?

    public convenience init(
        upstreamDescription: String, token: String? = nil, stats: @escaping @Sendable () -> JSONValue = { .object([:]) }
    ) {
        self.init(upstreamDescription: upstreamDescription, token: token, metrics: nil, stats: stats)
    }

    init(
        upstreamDescription: String, token: String?, metrics: MetricsExporter?,
        stats: @escaping @Sendable () -> JSONValue
    ) {
        self.upstreamDescription = upstreamDescription
        self.stats = stats
        self.metrics = metrics
        self.token = token
    }

    public func respond(to request: ProxyHTTPRequest) async -> ProxyHTTPResponse {
        let parts = request.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? request.uri
        let query = parts.count > 1 ? String(parts[1]) : ""
        if path != "/health", let token, !Self.authorized(request, query: query, token: token) {
            var response = json(.unauthorized, .object(["error": .string("admin token required")]))
            response.headers.add(name: "www-authenticate", value: "Bearer")
            return response
        }
        switch (request.method, path) {
        case (.GET, "/health"), (.HEAD, "/health"):
            return json(.ok, .object(["status": .string("ok"), "upstream": .string(upstreamDescription)]))
        case (.GET, "/stats"):
            return json(.ok, stats())
        case (.GET, "/metrics"):
            let body = metrics?.render(stats()) ?? []
            return plain(.ok, body, contentType: "text/plain; version=0.0.4; charset=utf-8")
        case (.GET, "/dashboard"), (.GET, "/"):
            return plain(.ok, Array(DashboardPage.html.utf8), contentType: "text/html; charset=utf-8")
        case (_, "/health"), (_, "/stats"), (_, "/metrics"), (_, "/dashboard"):
            return json(.methodNotAllowed, .object(["error": .string("use GET")]))
        default:
            return json(.notFound, .object(["error": .string("no such admin endpoint: \(path)")]))
        }
    }

    /// Constant-time comparison of the presented token.
    static func authorized(_ request: ProxyHTTPRequest, query: String, token: String) -> Bool {
        var presented: String?
        if let header = request.headers.first(name: "authorization"), header.hasPrefix("Bearer ") {
            presented = String(header.dropFirst("Bearer ".count))
        } else {
            for pair in query.split(separator: "&") where pair.hasPrefix("token=") {
                presented = String(pair.dropFirst("token=".count)).removingPercentEncoding
            }
        }
        guard let presented else { return false }
        let a = Array(presented.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public func respondTooLarge(limit: Int) -> ProxyHTTPResponse {
        json(.payloadTooLarge, .object(["error": .string("request body over \(limit) bytes")]))
    }

    func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> ProxyHTTPResponse {
        plain(status, JSONWriter.bytes(value), contentType: "application/json")
    }

    func plain(_ status: HTTPResponseStatus, _ body: [UInt8], contentType: String) -> ProxyHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "cache-control", value: "no-store")
        return ProxyHTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: body))
    }
}
