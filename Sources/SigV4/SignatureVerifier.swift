import Crypto
import Synchronization

/// Why an incoming request's signature was refused; each maps to the error DynamoDB gives.
public enum SignatureFailure: Error, Sendable, Equatable {
    /// No `Authorization` header at all: `MissingAuthenticationTokenException`.
    case missing
    /// The header is there but cannot be read: `IncompleteSignatureException`.
    case incomplete(String)
    /// The access key is not one the proxy knows: `UnrecognizedClientException`.
    case unknownAccessKey(String)
    /// The signature does not match: `InvalidSignatureException`.
    case mismatch
    /// `X-Amz-Date` is too far from now: `InvalidSignatureException` ("Signature expired").
    case expired(String)
}

/// Verifies SigV4 signatures on requests that clients send to the proxy, against secrets that
/// the operator configured per access key id.
public final class SignatureVerifier: Sendable {
    /// How far a request's `X-Amz-Date` may be from the proxy's clock, either way.
    public static let allowedSkewSeconds: Int64 = 5 * 60

    let secrets: [String: String]
    let service: String
    private let keyCache = Mutex<[String: SymmetricKey]>([:])

    public init(secrets: [String: String], service: String = "dynamodb") {
        self.secrets = secrets
        self.service = service
    }

    /// Returns the access key id that signed the request, or throws why it is refused.
    @discardableResult
    public func verify(_ request: SignableRequest, now: AmzDate) throws(SignatureFailure) -> String {
        guard let authorization = request.header("authorization") else { throw .missing }
        let parsed = try AuthorizationHeader(authorization)
        guard let amzDateText = request.header("x-amz-date") else {
            throw .incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard let amzDate = AmzDate(amzDate: amzDateText) else {
            throw .incomplete("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        let scopeParts = parsed.scope.split(separator: "/", omittingEmptySubsequences: false)
        guard scopeParts.count == 4, scopeParts[3] == "aws4_request" else {
            throw .incomplete("Credential should be scoped correctly: \(parsed.scope)")
        }
        guard scopeParts[0] == amzDate.dateStamp else {
            throw .incomplete(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP")
        }
        guard scopeParts[2] == service else {
            throw .incomplete("Credential should be scoped to correct service: '\(service)'.")
        }
        guard parsed.signedHeaders.contains("host") else {
            throw .incomplete("'Host' must be a signed header")
        }
        guard let secret = secrets[parsed.accessKeyId] else { throw .unknownAccessKey(parsed.accessKeyId) }
        if amzDate.secondsSince1970 < now.secondsSince1970 - Self.allowedSkewSeconds {
            let earliest = AmzDate(secondsSince1970: now.secondsSince1970 - Self.allowedSkewSeconds)
            throw .expired(
                "Signature expired: \(amzDate.amzDate) is now earlier than \(earliest.amzDate) (\(now.amzDate) - 5 min.)"
            )
        }
        if amzDate.secondsSince1970 > now.secondsSince1970 + Self.allowedSkewSeconds {
            let latest = AmzDate(secondsSince1970: now.secondsSince1970 + Self.allowedSkewSeconds)
            throw .expired(
                "Signature not yet current: \(amzDate.amzDate) is still later than \(latest.amzDate) (\(now.amzDate) + 5 min.)"
            )
        }
        let canonical = Canonical.request(
            request, signedHeaders: parsed.signedHeaders, payloadHash: hexSHA256(request.body))
        let toSign = Canonical.stringToSign(amzDate: amzDateText, scope: parsed.scope, canonicalRequest: canonical)
        let key = signingKey(accessKeyId: parsed.accessKeyId, secret: secret, scope: scopeParts)
        let expected = signature(key: key, stringToSign: toSign)
        guard constantTimeEqual(Array(expected.utf8), Array(parsed.signature.utf8)) else { throw .mismatch }
        return parsed.accessKeyId
    }

    func signingKey(accessKeyId: String, secret: String, scope: [Substring]) -> SymmetricKey {
        let cacheKey = "\(accessKeyId)/\(scope[0])/\(scope[1])"
        if let key = keyCache.withLock({ $0[cacheKey] }) { return key }
        let key = SigV4.signingKey(
            secret: secret, dateStamp: String(scope[0]), region: String(scope[1]), service: service)
        keyCache.withLock { cache in
            if cache.count > 1024 { cache.removeAll() }
            cache[cacheKey] = key
        }
        return key
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`
struct AuthorizationHeader {
    var accessKeyId: String
    var scope: String
    var signedHeaders: [String]
    var signature: String

    init(_ header: String) throws(SignatureFailure) {
        let prefix = "AWS4-HMAC-SHA256 "
        guard header.hasPrefix(prefix) else {
            throw .incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm")
        }
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for part in header.dropFirst(prefix.count).split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: " ")
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            let name = trimmed[..<eq]
            let value = String(trimmed[trimmed.index(after: eq)...])
            switch name {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: break
            }
        }
        guard let credential else { throw .incomplete("Authorization header requires 'Credential' parameter.") }
        guard let signedHeaders else { throw .incomplete("Authorization header requires 'SignedHeaders' parameter.") }
        guard let signature else { throw .incomplete("Authorization header requires 'Signature' parameter.") }
        guard let slash = credential.firstIndex(of: "/") else {
            throw .incomplete("Authorization header requires a valid 'Credential' parameter.")
        }
        self.accessKeyId = String(credential[..<slash])
        self.scope = String(credential[credential.index(after: slash)...])
        self.signedHeaders = signedHeaders.split(separator: ";").map { $0.lowercased() }
        self.signature = signature
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var s = self
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return s
    }
}
