import AsyncHTTPClient
import DynamoModel
import NIOCore
import NIOHTTP1
import SigV4

/// A DynamoDB-compatible endpoint over HTTP/1.1 keep-alive connections: real DynamoDB over
/// HTTPS, moto_server, DynamoDB Local, or a standalone `dynacache store`.
///
/// Connections come from async-http-client's pool (HTTP/1.1 keep-alive, TLS for real DynamoDB);
/// NIO's client bootstrap sets TCP_NODELAY on every connection, so small requests are not held
/// back by Nagle's algorithm. Each request is re-signed with the proxy's own credentials; the answer comes back exactly as
/// the upstream sent it (status, headers, body), because SDKs verify `x-amz-crc32` over the body.
public final class RemoteTableStore: TableStore {
    public struct Configuration: Sendable {
        public var endpoint: Endpoint
        public var streamsEndpoint: Endpoint
        public var region: String
        public var credentials: Credentials
        public var connectTimeoutMilliseconds: Int64
        /// The whole request, connect to last response byte.
        public var requestTimeoutMilliseconds: Int64
        public var maximumConnectionsPerHost: Int
        /// Larger answers are refused rather than buffered without bound (DynamoDB's largest,
        /// BatchGetItem, is 16 MB).
        public var maximumResponseBytes: Int

        public init(
            endpoint: Endpoint,
            streamsEndpoint: Endpoint? = nil,
            region: String,
            credentials: Credentials,
            connectTimeoutMilliseconds: Int64 = 2_000,
            requestTimeoutMilliseconds: Int64 = 10_000,
            maximumConnectionsPerHost: Int = 64,
            maximumResponseBytes: Int = 32 * 1024 * 1024
        ) {
            self.endpoint = endpoint
            self.streamsEndpoint = streamsEndpoint ?? endpoint.defaultStreamsEndpoint
            self.region = region
            self.credentials = credentials
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
            self.maximumConnectionsPerHost = maximumConnectionsPerHost
            self.maximumResponseBytes = maximumResponseBytes
        }
    }

    public let configuration: Configuration
    let client: HTTPClient
    let signer: Signer
    let now: @Sendable () -> AmzDate

    public init(
        configuration: Configuration, eventLoopGroup: any EventLoopGroup, now: @escaping @Sendable () -> AmzDate
    ) {
        self.configuration = configuration
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.httpVersion = .http1Only
        clientConfiguration.timeout = .init(
            connect: .milliseconds(configuration.connectTimeoutMilliseconds),
            read: .milliseconds(configuration.requestTimeoutMilliseconds)
        )
        clientConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnectionsPerHost
        )
        clientConfiguration.decompression = .disabled
        clientConfiguration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: clientConfiguration)
        self.signer = Signer(credentials: configuration.credentials, region: configuration.region)
        self.now = now
    }

    public func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        let endpoint = request.operation.family == .streams ? configuration.streamsEndpoint : configuration.endpoint
        var headers: [(name: String, value: String)] = [
            ("host", endpoint.hostHeader),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", request.operation.target),
        ]
        let signable = SignableRequest(method: "POST", path: "/", headers: headers, body: request.body)
        headers.append(contentsOf: signer.sign(signable, date: now()))
        return try await execute(
            endpoint: endpoint,
            method: .POST,
            uri: "/",
            headers: headers,
            body: request.body
        )
    }

    /// Sends a request that is not a DynamoDB operation (an emulator's own endpoints, say)
    /// exactly as the client sent it: never signed by the proxy.
    public func forwardVerbatim(
        method: HTTPMethod,
        uri: String,
        headers: [(name: String, value: String)],
        body: [UInt8]
    ) async throws -> TableStoreResponse {
        let hopByHop: Set<String> = [
            "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer",
            "proxy-connection",
        ]
        let kept = headers.filter { !hopByHop.contains($0.name.lowercased()) }
        return try await execute(endpoint: configuration.endpoint, method: method, uri: uri, headers: kept, body: body)
    }

    func execute(
        endpoint: Endpoint,
        method: HTTPMethod,
        uri: String,
        headers: [(name: String, value: String)],
        body: [UInt8]
    ) async throws -> TableStoreResponse {
        var httpRequest = HTTPClientRequest(url: endpoint.description + uri)
        httpRequest.method = method
        for (name, value) in headers { httpRequest.headers.add(name: name, value: value) }
        if !body.isEmpty || method == .POST || method == .PUT {
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(
                httpRequest, timeout: .milliseconds(configuration.requestTimeoutMilliseconds))
        } catch let error as HTTPClientError {
            let sent = error != .connectTimeout && error != .getConnectionFromPoolTimeout
            throw TableStoreTransportError(message: "upstream \(endpoint): \(error)", requestSent: sent)
        } catch {
            throw TableStoreTransportError(message: "upstream \(endpoint): \(error)", requestSent: false)
        }
        let bodyBuffer: ByteBuffer
        do {
            bodyBuffer = try await response.body.collect(upTo: configuration.maximumResponseBytes)
        } catch {
            throw TableStoreTransportError(
                message: "upstream \(endpoint): reading the response: \(error)", requestSent: true)
        }
        return TableStoreResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: bodyBuffer
        )
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}
