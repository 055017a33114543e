import Crypto
import Synchronization

/// Signs requests that the proxy sends to its upstream, with the proxy's own credentials.
///
/// The proxy never relays a client's signature: it checks it (see `SignatureVerifier`) and then
/// signs anew, so clients need no upstream credentials and the upstream sees one principal.
public final class Signer: Sendable {
    public let credentials: Credentials
    public let region: String
    public let service: String
    private let keyCache = Mutex<(dateStamp: String, key: SymmetricKey)?>(nil)

    public init(credentials: Credentials, region: String, service: String = "dynamodb") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to `request` (which must already carry `host`): `x-amz-date`,
    /// `x-amz-security-token` when the credentials have one, and `authorization`.
    /// Every header already on the request is signed, so none may change after this.
    public func sign(_ request: SignableRequest, date: AmzDate) -> [(name: String, value: String)] {
        var request = request
        var added: [(name: String, value: String)] = [("x-amz-date", date.amzDate)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        request.headers.append(contentsOf: added)
        let signedHeaders = Set(request.headers.map { $0.name.lowercased() }).sorted()
        let scope = "\(date.dateStamp)/\(region)/\(service)/aws4_request"
        let canonical = Canonical.request(request, signedHeaders: signedHeaders, payloadHash: hexSHA256(request.body))
        let toSign = Canonical.stringToSign(amzDate: date.amzDate, scope: scope, canonicalRequest: canonical)
        let sig = signature(key: key(for: date.dateStamp), stringToSign: toSign)
        added.append(
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(sig)"
            ))
        return added
    }

    func key(for dateStamp: String) -> SymmetricKey {
        if let cached = keyCache.withLock({ $0 }), cached.dateStamp == dateStamp { return cached.key }
        let key = signingKey(
            secret: credentials.secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        keyCache.withLock { $0 = (dateStamp, key) }
        return key
    }
}
