import AsyncHTTPClient
import DynamoModel
import Foundation
import NIOCore
import NIOPosix
import SigV4

/// Sends DynamoDB JSON 1.0 requests to one endpoint the way an SDK does (POST /, x-amz-target,
/// SigV4), over a keep-alive connection pool sized to the run's concurrency. Real DynamoDB gets
/// the credentials from the environment; local endpoints accept any.
public final class LoadClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        /// `x-dynacache-cache` (hit, stale, negative, miss, bypass) when the endpoint is the proxy.
        public var cache: String?
        public var body: [UInt8]

        /// `__type` without its namespace (`ConditionalCheckFailedException`).
        public var errorType: String? {
            guard status != 200 else { return nil }
            let json = try? JSONParser.parse(body)
            let type = json?["__type"]?.stringValue ?? "HTTP \(status)"
            return type.split(separator: "#").last.map(String.init) ?? type
        }
    }

    public let url: String
    let host: String
    let client: HTTPClient
    let signer: Signer
    let timeout: TimeAmount

    public init(url: String, connections: Int, region: String, credentials: Credentials, timeoutMs: Int64 = 10_000)
        throws
    {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, scheme == "http" || scheme == "https",
            let hostName = parsed.host
        else { throw ScenarioError("not an http(s) URL: \(url)") }
        let defaultPort = scheme == "https" ? 443 : 80
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.host = parsed.port.map { $0 == defaultPort ? hostName : "\(hostName):\($0)" } ?? hostName
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections))
        configuration.timeout = .init(connect: .seconds(2), read: .milliseconds(timeoutMs))
        configuration.decompression = .disabled
        client = HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        signer = Signer(credentials: credentials, region: region)
        timeout = .milliseconds(timeoutMs)
    }

    public func send(operation: String, body: [UInt8]) async throws -> Response {
        let target =
            (Operation.streamsOperations.contains(operation) ? "DynamoDBStreams_20120810." : "DynamoDB_20120810.")
            + operation
        var headers: [(name: String, value: String)] = [
            ("host", host), ("content-type", "application/x-amz-json-1.0"), ("x-amz-target", target),
        ]
        headers += signer.sign(SignableRequest(method: "POST", path: "/", headers: headers, body: body), date: .now())
        var request = HTTPClientRequest(url: url + "/")
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: timeout)
        var buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Response(
            status: Int(response.status.code), cache: response.headers.first(name: "x-dynacache-cache"),
            body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// A plain GET (the proxy's admin `/stats`), with a bearer token when given.
    public func get(_ url: String, token: String?) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: timeout)
        var buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
