/// An upstream's base URL, split into what the HTTP client and the signer need.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int

    /// Parses `http://host[:port]` or `https://host[:port]` (a trailing `/` is allowed).
    public init?(_ url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") {
            scheme = "http"
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("https://") {
            scheme = "https"
            rest = rest.dropFirst(8)
        } else {
            return nil
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { return nil }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            host = String(rest[..<colon])
            port = p
        } else {
            host = String(rest)
            port = scheme == "https" ? 443 : 80
        }
        guard !host.isEmpty else { return nil }
    }

    public var isDefaultPort: Bool { (scheme == "https" && port == 443) || (scheme == "http" && port == 80) }

    /// The `Host` header value, which is also what gets signed.
    public var hostHeader: String { isDefaultPort ? host : "\(host):\(port)" }

    public var description: String { "\(scheme)://\(hostHeader)" }

    /// `dynamodb.<region>.amazonaws.com` (and `.cn`): AWS's own endpoint.
    public var awsRegion: String? {
        let parts = host.split(separator: ".")
        guard parts.count >= 4, parts[0] == "dynamodb", parts[2] == "amazonaws" else { return nil }
        return String(parts[1])
    }

    /// AWS serves DynamoDB Streams at `streams.dynamodb.<region>.amazonaws.com`; any other
    /// endpoint (moto, DynamoDB Local, the embedded store) serves both APIs itself.
    public var defaultStreamsEndpoint: Endpoint {
        guard awsRegion != nil else { return self }
        var streams = self
        streams.host = "streams." + host
        return streams
    }
}
