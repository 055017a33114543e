import DynamoModel
import NIOHTTP1
import SigV4

/// Decides whether a client's request may proceed, and answers with DynamoDB's error when not.
struct ClientAuthenticator: Sendable {
    let mode: ProxyConfiguration.ClientAuthMode
    let verifier: SignatureVerifier?
    let now: @Sendable () -> AmzDate

    init(mode: ProxyConfiguration.ClientAuthMode, keys: [String: String], now: @escaping @Sendable () -> AmzDate) {
        self.mode = mode
        self.verifier = mode == .sigv4 ? SignatureVerifier(secrets: keys) : nil
        self.now = now
    }

    func check(_ request: ProxyHTTPRequest) throws(DynamoError) {
        guard mode == .sigv4, let verifier else { return }
        let signable = SignableRequest(
            method: request.method.rawValue,
            uri: request.uri,
            headers: request.headers.map { ($0.name, $0.value) },
            body: request.body
        )
        do {
            try verifier.verify(signable, now: now())
        } catch {
            throw Self.dynamoError(error)
        }
    }

    static func dynamoError(_ failure: SignatureFailure) -> DynamoError {
        switch failure {
        case .missing:
            return .missingAuthenticationToken()
        case .incomplete(let message):
            return DynamoError(
                status: 400, type: "com.amazon.coral.service#IncompleteSignatureException", message: message)
        case .unknownAccessKey:
            return .unrecognizedClient()
        case .mismatch:
            return .invalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        case .expired(let message):
            return .invalidSignature(message)
        }
    }
}
